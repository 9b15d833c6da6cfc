//! The Stream screen's topic browser, off the UI thread: listing the topics, reading a
//! topic's messages and exporting them each run in a thread of their own, and report
//! back as [`Action::Browsed`]. Reading and decoding are `crate::stream::browse`'s (the
//! code of `ecom kafka topics|browse`); this only moves its messages to the screen.
//!
//! A read is a session: a reader thread runs a [`Browser`] and hands each kept message
//! to a forwarder thread through a bounded channel; the forwarder sends them in batches
//! (at most [`BATCH`], or what came within [`BATCH_WAIT`], so a followed topic's single
//! message shows at once without one frame per message of a busy one) and, unless it
//! follows, stops after each page until the screen asks for more. Stopping a session
//! cancels the reader; a forwarder gone makes the reader's next hand-over fail, which
//! stops it too.

use std::collections::HashMap;
use std::io::Write;
use std::ops::ControlFlow;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel, sync_channel};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;
use super::failure::{Failure, Reported};
use crate::format::thousands;
use crate::jobs::CancelToken;
use crate::stream::browse::{
    BrowseOptions, BrowseSummary, BrowsedMessage, Browser, TopicSummary, list_topics,
};

/// Most messages one action carries.
const BATCH: usize = 256;
/// Longest a message waits for others before its batch goes.
const BATCH_WAIT: Duration = Duration::from_millis(100);
/// Messages the reader may read ahead of the page the screen asked for.
const READ_AHEAD: usize = 1024;
/// How long a full page waits for the read's end before saying more may follow.
const END_PEEK: Duration = Duration::from_millis(300);

/// Work the topic browser asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseJob {
    /// List the brokers' topics with their offsets and groups' lag.
    Topics,
    /// Read `options` as session `session`, `page` kept messages at a time (`None`: on
    /// and on, as a follow does). The brokers' client settings are the runner's.
    Read {
        session: u64,
        options: Box<BrowseOptions>,
        page: Option<u64>,
    },
    /// The next page of session `session`.
    More(u64),
    /// Stop session `session` (the screen left it or started another).
    Stop(u64),
    /// Write `messages` as JSON lines to `path`.
    Export {
        path: String,
        messages: Vec<BrowsedMessage>,
    },
}

/// What the topic browser's background work reports.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseReport {
    Topics(Reported<Vec<TopicSummary>>),
    /// Session `0`'s partitions are assigned: its messages follow.
    Opened(u64),
    Batch {
        session: u64,
        messages: Vec<BrowsedMessage>,
    },
    /// Session `0` filled a page; [`BrowseJob::More`] reads on.
    PageFull(u64),
    /// Session `session` read all it was to read, or failed.
    Ended {
        session: u64,
        result: Reported<BrowseSummary>,
    },
    /// The export wrote this many messages to the file (the sentence says so).
    Exported(Reported<String>),
}

/// A running read: how to stop it and ask it for more.
struct Reading {
    cancel: CancelToken,
    more: Sender<()>,
}

/// The browser's background work, on the brokers of `[tui.stream]`.
pub struct TopicReader {
    brokers: String,
    settings: Vec<(String, String)>,
    tx: UnboundedSender<Action>,
    readings: HashMap<u64, Reading>,
}

impl TopicReader {
    pub fn new(brokers: &str, settings: &[(String, String)], tx: UnboundedSender<Action>) -> Self {
        Self {
            brokers: brokers.to_string(),
            settings: settings.to_vec(),
            tx,
            readings: HashMap::new(),
        }
    }

    pub fn start(&mut self, job: BrowseJob) -> std::io::Result<()> {
        let tx = self.tx.clone();
        match job {
            BrowseJob::Topics => {
                let (brokers, settings) = (self.brokers.clone(), self.settings.clone());
                spawn("kafka-topics", move || {
                    let listed = list_topics(&brokers, &settings, None)
                        .map_err(|e| Failure(format!("cannot list the topics of {brokers}: {e}")));
                    let _ = tx.send(Action::Browsed(BrowseReport::Topics(listed)));
                })?;
            }
            BrowseJob::Read {
                session,
                mut options,
                page,
            } => {
                options.settings = self.settings.clone();
                let (cancel, (more, asked)) = (CancelToken::new(), channel());
                self.readings.insert(
                    session,
                    Reading {
                        cancel: cancel.clone(),
                        more,
                    },
                );
                let (pieces_tx, pieces) = sync_channel(READ_AHEAD);
                let reader_cancel = cancel.clone();
                spawn("kafka-browse", move || {
                    read(&options, &reader_cancel, &pieces_tx)
                })?;
                spawn("kafka-browse-batches", move || {
                    let mut forward = Forward::new(session, page, tx);
                    forward.run(&pieces, &asked, &cancel);
                })?;
            }
            BrowseJob::More(session) => {
                if let Some(reading) = self.readings.get(&session) {
                    let _ = reading.more.send(());
                }
            }
            BrowseJob::Stop(session) => {
                if let Some(reading) = self.readings.remove(&session) {
                    reading.cancel.cancel();
                }
            }
            BrowseJob::Export { path, messages } => {
                spawn("kafka-export", move || {
                    let written = write_json_lines(&path, &messages)
                        .map(|n| format!("wrote {} message(s) to {path}", thousands(n as u64)))
                        .map_err(|e| Failure(format!("cannot write {path}: {e}")));
                    let _ = tx.send(Action::Browsed(BrowseReport::Exported(written)));
                })?;
            }
        }
        Ok(())
    }

    /// Stops every read (the workbench is closing).
    pub fn stop_all(&mut self) {
        for (_, reading) in self.readings.drain() {
            reading.cancel.cancel();
        }
    }
}

fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map(drop)
}

/// What the reader hands the forwarder.
#[derive(Debug)]
enum Piece {
    Opened,
    Message(Box<BrowsedMessage>),
    End(Reported<BrowseSummary>),
}

/// Opens and runs the browse, handing over each kept message until the forwarder is
/// gone or `cancel`.
fn read(
    options: &BrowseOptions,
    cancel: &CancelToken,
    pieces: &std::sync::mpsc::SyncSender<Piece>,
) {
    let result = Browser::open(options).and_then(|browser| {
        let _ = pieces.send(Piece::Opened);
        browser.run(cancel, |message| {
            match pieces.send(Piece::Message(Box::new(message))) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        })
    });
    let _ = pieces.send(Piece::End(result.map_err(Failure::of)));
}

/// Writes `messages` to `path` as JSON lines; the count written.
fn write_json_lines(path: &str, messages: &[BrowsedMessage]) -> std::io::Result<usize> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for message in messages {
        message.write_json_line(&mut out)?;
    }
    out.flush()?;
    Ok(messages.len())
}

/// The forwarder of one session: batches, pages, reports.
struct Forward {
    session: u64,
    page: Option<u64>,
    /// Messages the current page still takes.
    left: u64,
    batch: Vec<BrowsedMessage>,
    /// When the batch's first message came.
    since: Option<Instant>,
    tx: UnboundedSender<Action>,
}

impl Forward {
    fn new(session: u64, page: Option<u64>, tx: UnboundedSender<Action>) -> Self {
        Self {
            session,
            page,
            left: page.unwrap_or(u64::MAX),
            batch: Vec::new(),
            since: None,
            tx,
        }
    }

    /// Forwards until the read ends, the screen is gone or `cancel`.
    fn run(&mut self, pieces: &Receiver<Piece>, asked: &Receiver<()>, cancel: &CancelToken) {
        while !cancel.is_cancelled() {
            let wait = self
                .since
                .map_or(BATCH_WAIT, |t| BATCH_WAIT.saturating_sub(t.elapsed()));
            let piece = match pieces.recv_timeout(wait) {
                Ok(piece) => Some(piece),
                Err(RecvTimeoutError::Timeout) => None,
                // The reader is gone without its end (it panicked).
                Err(RecvTimeoutError::Disconnected) => {
                    let lost = Err(Failure("the reader stopped unexpectedly".into()));
                    let _ = self.take(Piece::End(lost));
                    return;
                }
            };
            if let Some(piece) = piece
                && self.take(piece).is_break()
            {
                return;
            }
            let due = self.since.is_some_and(|t| t.elapsed() >= BATCH_WAIT);
            if (self.batch.len() >= BATCH || due) && self.flush().is_break() {
                return;
            }
            if self.left == 0 && self.next_page(pieces, asked, cancel).is_break() {
                return;
            }
        }
    }

    /// Takes one piece from the reader; `Break` once the session is over.
    fn take(&mut self, piece: Piece) -> ControlFlow<()> {
        match piece {
            Piece::Opened => self.report(BrowseReport::Opened(self.session)),
            Piece::Message(message) => {
                self.batch.push(*message);
                self.since.get_or_insert_with(Instant::now);
                self.left = self.left.saturating_sub(1);
                ControlFlow::Continue(())
            }
            Piece::End(result) => {
                self.flush()?;
                self.report(BrowseReport::Ended {
                    session: self.session,
                    result,
                })?;
                ControlFlow::Break(())
            }
        }
    }

    /// A full page: sends it, says so unless the read ends right after it, and waits
    /// until the screen asks for the next one.
    fn next_page(
        &mut self,
        pieces: &Receiver<Piece>,
        asked: &Receiver<()>,
        cancel: &CancelToken,
    ) -> ControlFlow<()> {
        self.flush()?;
        let held = match pieces.recv_timeout(END_PEEK) {
            Ok(Piece::End(result)) => return self.take(Piece::End(result)),
            Ok(piece) => Some(piece),
            Err(_) => None,
        };
        self.report(BrowseReport::PageFull(self.session))?;
        loop {
            if cancel.is_cancelled() {
                return ControlFlow::Break(());
            }
            match asked.recv_timeout(BATCH_WAIT) {
                Ok(()) => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return ControlFlow::Break(()),
            }
        }
        self.left = self.page.unwrap_or(u64::MAX);
        match held {
            Some(piece) => self.take(piece),
            None => ControlFlow::Continue(()),
        }
    }

    fn flush(&mut self) -> ControlFlow<()> {
        self.since = None;
        if self.batch.is_empty() {
            return ControlFlow::Continue(());
        }
        let messages = std::mem::take(&mut self.batch);
        self.report(BrowseReport::Batch {
            session: self.session,
            messages,
        })
    }

    /// Sends `report` to the screen; `Break` when the workbench is gone.
    fn report(&self, report: BrowseReport) -> ControlFlow<()> {
        match self.tx.send(Action::Browsed(report)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(offset: i64) -> Piece {
        Piece::Message(Box::new(BrowsedMessage::decode(
            "t",
            0,
            offset,
            None,
            None,
            Vec::new(),
            Some(b"{}"),
        )))
    }

    /// The reports the screen received so far, as (kind, offsets).
    fn received(rx: &mut tokio::sync::mpsc::UnboundedReceiver<Action>) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(Action::Browsed(report)) = rx.try_recv() {
            seen.push(match report {
                BrowseReport::Opened(_) => "opened".to_string(),
                BrowseReport::Batch { messages, .. } => {
                    let offsets: Vec<String> =
                        messages.iter().map(|m| m.offset.to_string()).collect();
                    format!("batch {}", offsets.join(","))
                }
                BrowseReport::PageFull(_) => "page full".to_string(),
                BrowseReport::Ended { result, .. } => format!("ended {:?}", result.map(|s| s.read)),
                other => format!("{other:?}"),
            });
        }
        seen
    }

    #[test]
    fn pages_wait_for_more_and_the_end_after_a_full_page_is_no_page_full() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (pieces_tx, pieces) = sync_channel(16);
        let (more, asked) = channel();
        let cancel = CancelToken::new();
        pieces_tx.send(Piece::Opened).unwrap();
        for offset in 0..5 {
            pieces_tx.send(message(offset)).unwrap();
        }
        let summary = BrowseSummary {
            read: 9,
            matched: 5,
        };
        pieces_tx.send(Piece::End(Ok(summary))).unwrap();
        let forwarder = std::thread::spawn(move || {
            Forward::new(7, Some(2), tx).run(&pieces, &asked, &cancel);
        });
        let wait_for = |rx: &mut _, count: usize| {
            let mut seen = Vec::new();
            let started = Instant::now();
            while seen.len() < count {
                assert!(started.elapsed() < Duration::from_secs(5), "{seen:?}");
                seen.extend(received(rx));
                std::thread::sleep(Duration::from_millis(10));
            }
            seen
        };
        assert_eq!(wait_for(&mut rx, 3), ["opened", "batch 0,1", "page full"]);
        more.send(()).unwrap();
        assert_eq!(wait_for(&mut rx, 2), ["batch 2,3", "page full"]);
        more.send(()).unwrap();
        // The last page holds one message and the end comes with it.
        assert_eq!(wait_for(&mut rx, 2), ["batch 4", "ended Ok(9)"]);
        forwarder.join().unwrap();
    }

    #[test]
    fn a_cancelled_session_stops_forwarding_and_its_reader_with_it() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let (pieces_tx, pieces) = sync_channel(1);
        let (_more, asked) = channel();
        let cancel = CancelToken::new();
        let stop = cancel.clone();
        let forwarder = std::thread::spawn(move || {
            Forward::new(1, None, tx).run(&pieces, &asked, &cancel);
        });
        pieces_tx.send(message(0)).unwrap();
        stop.cancel();
        forwarder.join().unwrap();
        // The forwarder dropped its end: the reader's next hand-over fails.
        assert!(pieces_tx.send(message(1)).is_err());
        assert!(received(&mut rx).len() <= 1);
    }
}
