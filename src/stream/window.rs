//! Event-time windows of one partition, with its watermark, as Flink keeps them: the
//! figures of a partition do not depend on which process reads it, so the windows of a
//! split consumer group, summed over partitions, equal those of one consumer.
//!
//! A window `[start, end)` closes when the partition's watermark (the largest event time
//! seen minus the allowed lateness) reaches its end; an event for a window that has
//! closed is late: it is kept (in `stream.late_events`), never counted twice or lost.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use foldhash::{HashMap, HashSet};
use serde::Serialize;

use super::event::{Event, EventType};

/// The country of the all-countries rows.
pub const ALL_COUNTRIES: &str = "*";

/// A window size, sliding by `hop` (a tumbling window hops by its size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct WindowSpec {
    pub size: Duration,
    pub hop: Duration,
}

impl WindowSpec {
    pub fn tumbling(size: Duration) -> Self {
        Self { size, hop: size }
    }

    /// The starts of the windows of this spec that contain `t`.
    fn starts(&self, t: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let offset = (t - epoch).num_milliseconds();
        let hop = self.hop.num_milliseconds();
        let size = self.size.num_milliseconds();
        let last = offset.div_euclid(hop) * hop;
        (0..)
            .map(move |k| last - k * hop)
            .take_while(move |start| start + size > offset)
            .map(move |start| epoch + Duration::milliseconds(start))
    }

    /// The end of the last window of this spec that contains `t`.
    pub fn last_end(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        self.starts(t).next().map(|start| start + self.size)
    }
}

/// A closed window's figures for one country (or `*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowMetrics {
    pub window_start: NaiveDateTime,
    pub window_end: NaiveDateTime,
    /// The window's hop (its size for a tumbling window).
    pub hop: Duration,
    pub country: String,
    /// Σ quantity × unit price over purchases and cancellations, in thousandths: i128,
    /// since a hundred events within the bounds of one already pass 2^63.
    pub revenue_milli: i128,
    /// Distinct purchase invoices.
    pub orders: u64,
    /// Σ quantity over purchases and cancellations.
    pub items: i64,
    /// Distinct customers of purchases and cancellations.
    pub customers: u64,
    /// Distinct cancellation invoices.
    pub cancellations: u64,
    pub views: u64,
    pub carts: u64,
    /// Purchase events (lines), the funnel's last step.
    pub purchases: u64,
}

impl WindowMetrics {
    /// Purchases per product view, when the window saw views.
    pub fn conversion(&self) -> Option<f64> {
        (self.views > 0).then(|| self.purchases as f64 / self.views as f64)
    }
}

#[derive(Debug, Default, Clone)]
struct Accumulator {
    revenue_milli: i128,
    orders: HashSet<String>,
    items: i64,
    customers: HashSet<i64>,
    cancellations: HashSet<String>,
    views: u64,
    carts: u64,
    purchases: u64,
}

/// Inserts `key` into a set of owned strings, copying it only when it is new (most lines
/// of a window share their invoice).
fn insert_borrowed(set: &mut HashSet<String>, key: &str) {
    if !set.contains(key) {
        set.insert(key.to_owned());
    }
}

impl Accumulator {
    fn add(&mut self, event: &Event) {
        match event.event_type {
            EventType::ProductView => self.views += 1,
            EventType::AddToCart => self.carts += 1,
            EventType::Purchase | EventType::Cancellation => {
                self.revenue_milli += i128::from(event.revenue_milli());
                self.items += event.quantity;
                if let Some(customer) = event.customer_id {
                    self.customers.insert(customer);
                }
                let invoice = event.invoice_no.as_deref().unwrap_or_default();
                if event.event_type == EventType::Purchase {
                    self.purchases += 1;
                    insert_borrowed(&mut self.orders, invoice);
                } else {
                    insert_borrowed(&mut self.cancellations, invoice);
                }
            }
        }
    }
}

/// Open windows (end, start, hop, country number), keyed so the earliest ends come
/// first. Countries are numbered so a key is copied, never allocated, per event.
type WindowKey = (NaiveDateTime, NaiveDateTime, Duration, u32);

/// Country names numbered in order of appearance; `*` is [`Countries::ALL`].
#[derive(Debug, Clone)]
struct Countries {
    names: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Default for Countries {
    fn default() -> Self {
        let mut countries = Self {
            names: Vec::new(),
            numbers: HashMap::default(),
        };
        countries.number(ALL_COUNTRIES);
        countries
    }
}

impl Countries {
    /// The number of [`ALL_COUNTRIES`], the first one named.
    const ALL: u32 = 0;

    fn number(&mut self, name: &str) -> u32 {
        if let Some(n) = self.numbers.get(name) {
            return *n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.numbers.insert(name.to_owned(), n);
        n
    }
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Counted in every window it belongs to.
    OnTime,
    /// At least one of its windows had closed: counted in the open ones only. The
    /// reason names the first closed window and the watermark.
    Late { reason: String },
}

/// The windows and watermark of one partition.
#[derive(Debug, Clone)]
pub struct PartitionWindows {
    specs: Vec<WindowSpec>,
    allowed_lateness: Duration,
    max_event_time: Option<NaiveDateTime>,
    open: BTreeMap<WindowKey, Accumulator>,
    countries: Countries,
}

impl PartitionWindows {
    pub fn new(specs: Vec<WindowSpec>, allowed_lateness: Duration) -> Self {
        Self {
            specs,
            allowed_lateness,
            max_event_time: None,
            open: BTreeMap::new(),
            countries: Countries::default(),
        }
    }

    /// Resumes from a saved largest event time (the open windows are then rebuilt with
    /// [`PartitionWindows::add`] from the events they held).
    pub fn with_max_event_time(mut self, max_event_time: Option<NaiveDateTime>) -> Self {
        self.max_event_time = max_event_time;
        self
    }

    pub fn max_event_time(&self) -> Option<NaiveDateTime> {
        self.max_event_time
    }

    /// The largest event time seen minus the allowed lateness.
    pub fn watermark(&self) -> Option<NaiveDateTime> {
        self.max_event_time.map(|t| t - self.allowed_lateness)
    }

    /// Adds `event` to its windows that are still open, then advances the watermark.
    pub fn add(&mut self, event: &Event) -> Placement {
        let watermark = self.watermark();
        let country = self
            .countries
            .number(event.country.as_deref().unwrap_or("Unknown"));
        let mut late = None;
        for spec in &self.specs {
            for start in spec.starts(event.event_time) {
                let end = start + spec.size;
                if watermark.is_some_and(|w| end <= w) {
                    late.get_or_insert_with(|| {
                        format!(
                            "window [{start}, {end}) closed: the partition's watermark was {}",
                            watermark.expect("checked")
                        )
                    });
                    continue;
                }
                for c in [country, Countries::ALL] {
                    self.open
                        .entry((end, start, spec.hop, c))
                        .or_default()
                        .add(event);
                }
            }
        }
        if self.max_event_time.is_none_or(|t| event.event_time > t) {
            self.max_event_time = Some(event.event_time);
        }
        match late {
            None => Placement::OnTime,
            Some(reason) => Placement::Late { reason },
        }
    }

    /// Removes and returns the windows the watermark has passed, earliest end first.
    pub fn close(&mut self) -> Vec<WindowMetrics> {
        let Some(watermark) = self.watermark() else {
            return Vec::new();
        };
        let mut closed = Vec::new();
        while let Some(entry) = self.open.first_entry() {
            if entry.key().0 > watermark {
                break;
            }
            let ((end, start, hop, country), acc) = entry.remove_entry();
            closed.push(WindowMetrics {
                window_start: start,
                window_end: end,
                hop,
                country: self.countries.names[country as usize].clone(),
                revenue_milli: acc.revenue_milli,
                orders: acc.orders.len() as u64,
                items: acc.items,
                customers: acc.customers.len() as u64,
                cancellations: acc.cancellations.len() as u64,
                views: acc.views,
                carts: acc.carts,
                purchases: acc.purchases,
            });
        }
        // Countries are numbered by arrival: name order keeps the output independent of it.
        closed.sort_by(|a, b| {
            (a.window_end, a.window_start, a.hop, &a.country).cmp(&(
                b.window_end,
                b.window_start,
                b.hop,
                &b.country,
            ))
        });
        closed
    }

    /// Moves the watermark up to `watermark` (never back), as if an event that late
    /// had arrived: [`Self::close`] then closes what it passed.
    pub fn advance_watermark(&mut self, watermark: NaiveDateTime) {
        if self.watermark().is_none_or(|w| w < watermark) {
            self.max_event_time = Some(watermark + self.allowed_lateness);
        }
    }

    /// Closes every open window (the end of a finite stream).
    pub fn flush(&mut self) -> Vec<WindowMetrics> {
        if let Some(end) = self.open.keys().map(|k| k.0).max() {
            self.max_event_time = Some(end + self.allowed_lateness);
        }
        self.close()
    }

    /// The earliest start among the open windows: events before it are no longer
    /// needed to rebuild them.
    pub fn earliest_open_start(&self) -> Option<NaiveDateTime> {
        self.open.keys().map(|k| k.1).min()
    }

    pub fn open_windows(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::Xoshiro256Plus;
    use rand_xoshiro::rand_core::{RngCore, SeedableRng};

    fn at(minute: i64) -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2011-01-10 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
            + Duration::minutes(minute)
    }

    fn sale(id: usize, seconds: i64, invoice: &str, country: &str, quantity: i64) -> Event {
        Event {
            schema_version: 1,
            event_id: format!("e{id}"),
            event_type: if invoice.starts_with('C') {
                EventType::Cancellation
            } else {
                EventType::Purchase
            },
            event_time: at(0) + Duration::seconds(seconds),
            invoice_no: Some(invoice.into()),
            stock_code: "85123A".into(),
            description: None,
            quantity,
            unit_price: 2_550,
            customer_id: Some(17850 + (id % 3) as i64),
            country: Some(country.into()),
        }
    }

    #[test]
    fn tumbling_windows_close_when_the_watermark_passes_their_end() {
        let mut w = PartitionWindows::new(
            vec![WindowSpec::tumbling(Duration::minutes(1))],
            Duration::seconds(10),
        );
        assert_eq!(w.add(&sale(0, 5, "1", "France", 2)), Placement::OnTime);
        assert_eq!(w.add(&sale(1, 50, "C2", "France", -1)), Placement::OnTime);
        assert_eq!(w.add(&sale(2, 65, "3", "Spain", 1)), Placement::OnTime);
        assert!(
            w.close().is_empty(),
            "watermark 55 s is before the end at 60 s"
        );
        w.add(&sale(3, 71, "3", "Spain", 1));
        let closed = w.close();
        assert_eq!(closed.len(), 2, "{closed:?}");
        let all = closed.iter().find(|m| m.country == ALL_COUNTRIES).unwrap();
        assert_eq!(
            (all.revenue_milli, all.orders, all.items, all.cancellations),
            (2_550, 1, 1, 1)
        );
        assert_eq!(all.customers, 2);
        // 8 s after the window's end: still within the 10 s of lateness, yet closed.
        let late = w.add(&sale(4, 30, "5", "France", 1));
        assert!(matches!(late, Placement::Late { .. }), "{late:?}");
    }

    #[test]
    fn hopping_windows_hold_each_event_size_over_hop_times() {
        let spec = WindowSpec {
            size: Duration::minutes(10),
            hop: Duration::minutes(5),
        };
        let starts: Vec<_> = spec.starts(at(0) + Duration::minutes(7)).collect();
        assert_eq!(starts, vec![at(0) + Duration::minutes(5), at(0)]);
    }

    /// Closed windows as a sorted list, for comparing runs.
    fn run(events: &[Event], lateness: Duration) -> (Vec<WindowMetrics>, usize) {
        let specs = vec![
            WindowSpec::tumbling(Duration::minutes(1)),
            WindowSpec {
                size: Duration::minutes(5),
                hop: Duration::minutes(1),
            },
        ];
        let mut w = PartitionWindows::new(specs, lateness);
        let mut closed = Vec::new();
        let mut late = 0;
        for e in events {
            if w.add(e) != Placement::OnTime {
                late += 1;
            }
            closed.extend(w.close());
        }
        closed.extend(w.flush());
        closed.sort_by(|a, b| {
            (a.window_start, a.window_end, &a.country).cmp(&(
                b.window_start,
                b.window_end,
                &b.country,
            ))
        });
        (closed, late)
    }

    #[test]
    fn any_arrival_order_within_the_lateness_gives_the_same_windows() {
        let countries = ["France", "Spain", "Germany"];
        for seed in 0..30 {
            let mut rng = Xoshiro256Plus::seed_from_u64(seed);
            let mut events: Vec<Event> = (0..300)
                .map(|i| {
                    let second = (rng.next_u64() % 1800) as i64;
                    let invoice = if rng.next_u64() % 10 == 0 {
                        format!("C{}", i % 40)
                    } else {
                        (i % 50).to_string()
                    };
                    let quantity = if invoice.starts_with('C') {
                        -1
                    } else {
                        1 + (rng.next_u64() % 5) as i64
                    };
                    sale(i, second, &invoice, countries[i % 3], quantity)
                })
                .collect();
            events.sort_by_key(|e| e.event_time);
            let (in_order, late) = run(&events, Duration::seconds(0));
            assert_eq!(late, 0);
            // Shuffle by at most 90 s of event time: a lateness of 2 minutes absorbs it.
            let mut keyed: Vec<(NaiveDateTime, Event)> = events
                .iter()
                .map(|e| {
                    (
                        e.event_time + Duration::seconds((rng.next_u64() % 90) as i64),
                        e.clone(),
                    )
                })
                .collect();
            keyed.sort_by_key(|(key, _)| *key);
            let disordered: Vec<Event> = keyed.into_iter().map(|(_, e)| e).collect();
            let (shuffled, late) = run(&disordered, Duration::minutes(2));
            assert_eq!(late, 0, "seed {seed}");
            assert_eq!(shuffled, in_order, "seed {seed}");
        }
    }

    #[test]
    fn too_late_events_are_reported_not_lost() {
        let events = [
            sale(0, 0, "1", "France", 1),
            sale(1, 600, "2", "France", 1),
            sale(2, 1, "3", "France", 1),
        ];
        let (_, late) = run(&events, Duration::seconds(30));
        assert_eq!(late, 1);
    }

    #[test]
    fn an_advanced_watermark_closes_what_it_passed_and_never_goes_back() {
        let mut w = PartitionWindows::new(
            vec![WindowSpec::tumbling(Duration::minutes(10))],
            Duration::minutes(5),
        );
        w.add(&sale(1, 60, "1", "UK", 1));
        assert!(w.close().is_empty());
        w.advance_watermark(at(10));
        assert_eq!(w.close().len(), 2, "the UK and * rows of [09:00, 09:10)");
        w.advance_watermark(at(5));
        assert_eq!(w.watermark(), Some(at(10)));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Events of up to three hours, in any order, as (seconds, country, quantity).
        fn events() -> impl Strategy<Value = Vec<(i64, u8, i64)>> {
            proptest::collection::vec((0i64..10_800, 0u8..3, -50i64..50), 0..120)
        }

        fn to_events(raw: &[(i64, u8, i64)]) -> Vec<Event> {
            raw.iter()
                .enumerate()
                .map(|(i, &(seconds, country, quantity))| {
                    let quantity = if quantity == 0 { 1 } else { quantity };
                    let invoice = if quantity < 0 {
                        format!("C{i}")
                    } else {
                        format!("{}", 500_000 + i)
                    };
                    sale(
                        i,
                        seconds,
                        &invoice,
                        ["UK", "France", "EIRE"][country as usize],
                        quantity,
                    )
                })
                .collect()
        }

        fn windows() -> PartitionWindows {
            PartitionWindows::new(
                vec![
                    WindowSpec::tumbling(Duration::minutes(10)),
                    WindowSpec::tumbling(Duration::hours(1)),
                ],
                Duration::minutes(5),
            )
        }

        proptest! {
            /// Closing after every event, at random points, or only at the end closes
            /// the same windows with the same figures, and places each event the same:
            /// how a stream is cut into batches changes nothing.
            #[test]
            fn windows_do_not_depend_on_where_batches_end(
                raw in events(),
                cuts in proptest::collection::vec(any::<bool>(), 120),
            ) {
                let events = to_events(&raw);
                let run = |close_after: &dyn Fn(usize) -> bool| {
                    let mut w = windows();
                    let mut closed = Vec::new();
                    let mut placements = Vec::new();
                    for (i, event) in events.iter().enumerate() {
                        placements.push(w.add(event));
                        if close_after(i) {
                            closed.extend(w.close());
                        }
                    }
                    closed.extend(w.flush());
                    closed.sort_by(|a, b| {
                        (a.window_end, a.window_start, &a.country)
                            .cmp(&(b.window_end, b.window_start, &b.country))
                    });
                    (closed, placements)
                };
                let always = run(&|_| true);
                prop_assert_eq!(&always, &run(&|_| false));
                prop_assert_eq!(&always, &run(&|i| cuts[i % cuts.len()]));
            }

            /// Every on-time line is counted once in its windows: the `*` windows of a
            /// size sum to the revenue of the events that were not late.
            #[test]
            fn on_time_revenue_is_counted_exactly_once(raw in events()) {
                let events = to_events(&raw);
                let mut w = PartitionWindows::new(
                    vec![WindowSpec::tumbling(Duration::minutes(10))],
                    Duration::minutes(5),
                );
                let mut on_time = 0i128;
                for event in &events {
                    if w.add(event) == Placement::OnTime {
                        on_time += i128::from(event.revenue_milli());
                    }
                }
                let counted: i128 = w
                    .flush()
                    .iter()
                    .filter(|m| m.country == "*")
                    .map(|m| m.revenue_milli)
                    .sum();
                prop_assert_eq!(counted, on_time);
            }
        }
    }
}
