//! The Stream screen's topic browser (`b`), the job of kcat and yozefu in the
//! workbench: the topics of `[tui.stream]`'s brokers with their partitions, end offsets
//! and every group's lag; Enter on one lists its messages (the newest page, or from a
//! start the user types: the beginning, an offset, a time, or the end and follow), `/`
//! filters them with `ecom kafka browse --filter`'s expressions, Enter on a message
//! shows it decoded, `x` exports what is listed as JSON lines.
//!
//! Plain state: the reading is `crate::tui::topic_reader`'s, asked for by effects and
//! answered by [`Action::Browsed`]. Each read is a session; a report of another session
//! than the one shown is dropped, and leaving or replacing a read stops it.

mod draw;
mod start;

use std::collections::VecDeque;

use ratatui::crossterm::event::KeyEvent;

pub use start::Start;

use crate::format::thousands;
use crate::stream::browse::{BrowseOptions, BrowseSummary, BrowsedMessage, Filter, TopicSummary};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::failure::{Failure, Reported};
use crate::tui::grid::prompt::{Prompt, Typed};
use crate::tui::status::Status;
use crate::tui::topic_reader::{BrowseJob, BrowseReport};

/// Messages read per page before the reader waits for `n`.
pub const PAGE: u64 = 500;
/// Messages kept in memory: a follow drops the oldest beyond these.
pub const KEPT: usize = 10_000;

/// What the browser's keys ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrowseCommand {
    /// Open the browser on the topic list (from a read: back to it), listing afresh.
    Topics,
    /// Enter: the selected topic's messages, or the selected message decoded.
    Select,
    Filter,
    Start,
    NextPage,
    Export,
    /// List the topics again, or read the messages again as they were asked for.
    Reload,
}

/// What the browser's prompt asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Filter,
    Start,
    Export,
}

impl PromptKind {
    /// The line above the text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Filter => {
                "filter, as --filter: .country == \"France\", .quantity >= 10, key ~ \"178\" or text (empty: none)"
            }
            Self::Start => {
                "start at: newest, beginning, end (and follow), an offset, or a time like 2011-11-01T08:00:00Z"
            }
            Self::Export => "export the listed messages as JSON lines to the file:",
        }
    }
}

/// How a read stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadState {
    /// Finding the partitions' offsets and where to start.
    Opening,
    Reading,
    /// A page is read; `n` reads the next.
    PageFull,
    /// Reading at the end: new messages appear as they arrive.
    Following,
    Done(BrowseSummary),
    Failed(String),
}

/// One topic's messages as read so far.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageList {
    pub session: u64,
    pub topic: String,
    pub start: Start,
    /// The filter in force, as typed.
    pub filter: Option<String>,
    /// The newest [`KEPT`] messages read, in the order they came.
    pub kept: VecDeque<BrowsedMessage>,
    /// Older messages dropped to keep the list within [`KEPT`].
    pub dropped: u64,
    pub selected: usize,
    /// The selected message's detail shows, scrolled this many lines.
    pub detail: Option<u16>,
    pub state: ReadState,
}

impl MessageList {
    /// Messages that passed the filter so far (kept or dropped).
    pub fn matched(&self) -> u64 {
        self.kept.len() as u64 + self.dropped
    }

    /// Appends a batch; beyond [`KEPT`] the oldest go (the selection stays on its
    /// message), and a follow whose selection is on the last message stays on the last.
    fn push(&mut self, messages: Vec<BrowsedMessage>) {
        let on_last = self.state == ReadState::Following
            && (self.kept.is_empty() || self.selected + 1 == self.kept.len());
        self.kept.extend(messages);
        let over = self.kept.len().saturating_sub(KEPT);
        if over > 0 {
            self.kept.drain(..over);
            self.dropped += over as u64;
            self.selected = self.selected.saturating_sub(over);
        }
        if on_last {
            self.selected = self.kept.len().saturating_sub(1);
        }
    }

    pub fn selected_message(&self) -> Option<&BrowsedMessage> {
        self.kept.get(self.selected)
    }
}

/// The topic browser's state.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicBrowser {
    /// The brokers it lists (`[tui.stream]`'s).
    pub brokers: String,
    /// The topics (`None` while listing).
    pub topics: Option<Reported<Vec<TopicSummary>>>,
    pub selected: usize,
    /// The messages of the topic opened, when one is.
    pub list: Option<MessageList>,
    pub prompt: Option<Prompt<PromptKind>>,
    /// What the last filter, start or export said.
    pub note: Option<Reported<String>>,
    sessions: u64,
}

impl TopicBrowser {
    /// A browser listing `brokers`' topics: the effect asks for them.
    pub fn open(brokers: &str) -> (Self, Effect) {
        let browser = Self {
            brokers: brokers.to_string(),
            topics: None,
            selected: 0,
            list: None,
            prompt: None,
            note: None,
            sessions: 0,
        };
        (browser, Effect::Browse(BrowseJob::Topics))
    }

    pub fn update(&mut self, action: Action, status: &mut Status) -> Vec<Effect> {
        match action {
            Action::Browse(command) => self.command(command, status),
            Action::BrowseKey(key) => self.prompt_key(key),
            Action::Browsed(report) => {
                self.report(report, status);
                vec![]
            }
            Action::Move(delta) => {
                self.move_by(delta);
                vec![]
            }
            _ => vec![],
        }
    }

    /// Esc: from a message to the list, from the list to the topics (stopping its
    /// read); `None` on the topic list, which the screen then closes.
    pub fn back(&mut self) -> Option<Vec<Effect>> {
        let list = self.list.as_mut()?;
        if list.detail.take().is_some() {
            return Some(vec![]);
        }
        Some(self.stop())
    }

    /// Stops the read shown, if any (the browser closes or reads something else).
    pub fn stop(&mut self) -> Vec<Effect> {
        self.list
            .take()
            .map(|list| Effect::Browse(BrowseJob::Stop(list.session)))
            .into_iter()
            .collect()
    }

    fn topic_list(&self) -> &[TopicSummary] {
        match &self.topics {
            Some(Ok(topics)) => topics,
            _ => &[],
        }
    }

    fn selected_topic(&self) -> Option<&TopicSummary> {
        self.topic_list().get(self.selected)
    }

    fn command(&mut self, command: BrowseCommand, status: &mut Status) -> Vec<Effect> {
        match command {
            BrowseCommand::Topics => self.list_topics(),
            BrowseCommand::Reload => match &self.list {
                Some(list) => {
                    let (topic, start, filter) =
                        (list.topic.clone(), list.start, list.filter.clone());
                    self.read(topic, start, filter)
                }
                None => self.list_topics(),
            },
            BrowseCommand::Select => match &mut self.list {
                Some(list) if !list.kept.is_empty() => {
                    list.detail = Some(0);
                    vec![]
                }
                Some(_) => vec![],
                None => match self.selected_topic() {
                    Some(topic) => {
                        let name = topic.topic.clone();
                        self.read(name, Start::Newest, None)
                    }
                    None => vec![],
                },
            },
            BrowseCommand::Filter => {
                let text = self.list.as_ref().and_then(|l| l.filter.clone());
                self.ask(PromptKind::Filter, text.unwrap_or_default(), status)
            }
            BrowseCommand::Start => self.ask(PromptKind::Start, String::new(), status),
            BrowseCommand::Export => match &self.list {
                Some(list) => {
                    let file = format!("{}.jsonl", list.topic);
                    self.ask(PromptKind::Export, file, status)
                }
                None => {
                    status.info("open a topic first (Enter), then x exports its messages");
                    vec![]
                }
            },
            BrowseCommand::NextPage => match &mut self.list {
                Some(list) if list.state == ReadState::PageFull => {
                    list.state = ReadState::Reading;
                    vec![Effect::Browse(BrowseJob::More(list.session))]
                }
                Some(_) => {
                    status.info("no page waits: the read is going on or has ended");
                    vec![]
                }
                None => vec![],
            },
        }
    }

    /// Opens the prompt, unless there is no topic to apply it to.
    fn ask(&mut self, kind: PromptKind, text: String, status: &mut Status) -> Vec<Effect> {
        if self.list.is_none() && self.selected_topic().is_none() {
            status.info("no topic to read yet");
        } else {
            self.prompt = Some(Prompt::with_text(kind, text));
        }
        vec![]
    }

    fn list_topics(&mut self) -> Vec<Effect> {
        let mut effects = self.stop();
        self.topics = None;
        effects.push(Effect::Browse(BrowseJob::Topics));
        effects
    }

    /// Reads `topic` from `start` through `filter` as a new session (the one shown
    /// stops). `filter` must parse: the prompt checked it.
    fn read(&mut self, topic: String, start: Start, filter: Option<String>) -> Vec<Effect> {
        let mut effects = self.stop();
        self.sessions += 1;
        self.note = None;
        let partitions = self
            .topic_list()
            .iter()
            .find(|t| t.topic == topic)
            .map_or(1, |t| t.partitions.len());
        let mut options = BrowseOptions::new(&self.brokers, &topic);
        (options.start, options.follow) = start.at(partitions);
        options.filter = filter.as_deref().and_then(|f| Filter::parse(f).ok());
        let page = (!options.follow).then_some(PAGE);
        self.list = Some(MessageList {
            session: self.sessions,
            topic,
            start,
            filter,
            kept: VecDeque::new(),
            dropped: 0,
            selected: 0,
            detail: None,
            state: ReadState::Opening,
        });
        effects.push(Effect::Browse(BrowseJob::Read {
            session: self.sessions,
            options: Box::new(options),
            page,
        }));
        effects
    }

    /// A key typed into the prompt; Enter applies it to the list (or to the selected
    /// topic, which it opens).
    fn prompt_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(prompt) = self.prompt.as_mut() else {
            return vec![];
        };
        let text = match prompt.key(key) {
            Typed::Editing => return vec![],
            Typed::Cancelled => {
                self.prompt = None;
                return vec![];
            }
            Typed::Submitted(text) => text,
        };
        let kind = prompt.kind;
        self.prompt = None;
        let (topic, start, filter) = match &self.list {
            Some(list) => (list.topic.clone(), list.start, list.filter.clone()),
            None => match self.selected_topic() {
                Some(t) => (t.topic.clone(), Start::Newest, None),
                None => return vec![],
            },
        };
        match kind {
            PromptKind::Filter if text.is_empty() => self.read(topic, start, None),
            PromptKind::Filter => match Filter::parse(&text) {
                Ok(_) => self.read(topic, start, Some(text)),
                Err(e) => self.refuse(Failure::of(e)),
            },
            PromptKind::Start => match Start::parse(&text) {
                Some(start) => self.read(topic, start, filter),
                None => self.refuse(Failure(format!(
                    "start {text:?}: type newest, beginning, end, an offset or an RFC 3339 time such as 2011-11-01T08:00:00Z"
                ))),
            },
            PromptKind::Export => self.export(text),
        }
    }

    /// Says why what was typed is not applied, under the list (or the topics).
    fn refuse(&mut self, why: Failure) -> Vec<Effect> {
        self.note = Some(Err(why));
        vec![]
    }

    fn export(&mut self, path: String) -> Vec<Effect> {
        let Some(list) = self.list.as_ref() else {
            return vec![];
        };
        if path.is_empty() {
            return vec![];
        }
        if list.kept.is_empty() {
            return self.refuse(Failure("no messages listed to export".into()));
        }
        self.note = Some(Ok(format!(
            "writing {} message(s) to {path}…",
            thousands(list.kept.len() as u64)
        )));
        vec![Effect::Browse(BrowseJob::Export {
            path,
            messages: list.kept.iter().cloned().collect(),
        })]
    }

    fn report(&mut self, report: BrowseReport, status: &mut Status) {
        let list = match report {
            BrowseReport::Topics(topics) => {
                let count = topics.as_ref().map_or(0, Vec::len);
                self.selected = self.selected.min(count.saturating_sub(1));
                self.topics = Some(topics);
                return;
            }
            BrowseReport::Exported(written) => {
                match &written {
                    Ok(text) => status.info(text.clone()),
                    Err(why) => status.error(why.as_str()),
                }
                self.note = Some(written);
                return;
            }
            _ => match self.list.as_mut() {
                Some(list) => list,
                None => return,
            },
        };
        match report {
            BrowseReport::Opened(session) if session == list.session => {
                list.state = if list.start == Start::Follow {
                    ReadState::Following
                } else {
                    ReadState::Reading
                };
            }
            BrowseReport::Batch { session, messages } if session == list.session => {
                list.push(messages);
            }
            BrowseReport::PageFull(session) if session == list.session => {
                list.state = ReadState::PageFull;
            }
            BrowseReport::Ended { session, result } if session == list.session => {
                list.state = match result {
                    Ok(summary) => ReadState::Done(summary),
                    Err(why) => ReadState::Failed(why.0),
                };
            }
            // Another session's (stopped: its last words come late).
            _ => {}
        }
    }

    fn move_by(&mut self, delta: i64) {
        let clamp = |at: usize, len: usize| {
            (at as i64)
                .saturating_add(delta)
                .clamp(0, len.saturating_sub(1) as i64) as usize
        };
        match &mut self.list {
            Some(list) => match list.detail.as_mut() {
                Some(scroll) => {
                    let lines = list
                        .kept
                        .get(list.selected)
                        .map_or(0, |m| m.pretty().lines().count());
                    *scroll = clamp(*scroll as usize, lines).min(u16::MAX as usize) as u16;
                }
                None => list.selected = clamp(list.selected, list.kept.len()),
            },
            None => self.selected = clamp(self.selected, self.topic_list().len()),
        }
    }
}

#[cfg(test)]
mod tests;
