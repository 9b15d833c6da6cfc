//! The simulator's script: source lines become events in event-time order, then the
//! disorder a real shop's feed has is added on purpose (funnel events, jitter, late and
//! duplicate sends), all from a seed, so a run can be repeated exactly.

use chrono::{Duration, NaiveDateTime};
use rand_xoshiro::Xoshiro256Plus;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

use super::event::{Event, EventType, SCHEMA_VERSION};

#[derive(Debug, Clone)]
pub struct Disorder {
    /// Share of events sent after the events up to `late_by` newer than them.
    pub late_fraction: f64,
    pub late_by: Duration,
    /// Share of events sent twice.
    pub duplicate_fraction: f64,
    /// Each send is moved by a random delay up to this.
    pub jitter: Duration,
    /// Adds product views and add-to-carts before purchases (and some that lead nowhere).
    pub funnel: bool,
    pub seed: u64,
}

impl Default for Disorder {
    fn default() -> Self {
        Self {
            late_fraction: 0.0,
            late_by: Duration::zero(),
            duplicate_fraction: 0.0,
            jitter: Duration::zero(),
            funnel: false,
            seed: 42,
        }
    }
}

/// One event to send, at its place in the send order.
#[derive(Debug, Clone)]
pub struct Send {
    pub event: Event,
    /// When the shop would send it, on the event-time clock: pacing follows this.
    pub send_time: NaiveDateTime,
    pub late: bool,
    pub duplicate: bool,
}

fn unit(rng: &mut Xoshiro256Plus) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn random_delay(rng: &mut Xoshiro256Plus, max: Duration) -> Duration {
    Duration::milliseconds((unit(rng) * max.num_milliseconds() as f64) as i64)
}

/// The funnel events before one purchase: a view 2 to 30 minutes before it, then an
/// add-to-cart between the two; a third of purchases also get a view of a product the
/// customer did not buy (`browse`: another stock code seen in the stream).
fn funnel_for(purchase: &Event, browse: &str, rng: &mut Xoshiro256Plus) -> Vec<Event> {
    let view_at = purchase.event_time - Duration::seconds(120 + (unit(rng) * 1680.0) as i64);
    let cart_at = view_at + (purchase.event_time - view_at) / 2;
    let step = |suffix: &str, event_type, at, stock_code: &str, quantity| Event {
        schema_version: SCHEMA_VERSION,
        event_id: format!("{}/{suffix}", purchase.event_id),
        event_type,
        event_time: at,
        invoice_no: None,
        stock_code: stock_code.to_string(),
        description: None,
        quantity,
        unit_price: purchase.unit_price,
        customer_id: purchase.customer_id,
        country: purchase.country.clone(),
    };
    let mut out = vec![
        step(
            "view",
            EventType::ProductView,
            view_at,
            &purchase.stock_code,
            0,
        ),
        step(
            "cart",
            EventType::AddToCart,
            cart_at,
            &purchase.stock_code,
            purchase.quantity,
        ),
    ];
    if rng.next_u64().is_multiple_of(3) && browse != purchase.stock_code {
        let mut browsed = step(
            "browse",
            EventType::ProductView,
            view_at - Duration::seconds(30),
            browse,
            0,
        );
        browsed.unit_price = 0;
        out.push(browsed);
    }
    out
}

/// Orders `events` (sorted by event time, ties in source order) for sending.
pub fn schedule(events: Vec<Event>, disorder: &Disorder) -> Vec<Send> {
    let mut rng = Xoshiro256Plus::seed_from_u64(disorder.seed);
    let mut all = Vec::with_capacity(events.len() * if disorder.funnel { 4 } else { 1 });
    let mut previous_code = String::new();
    for event in events {
        // Adjustment lines (a purchase invoice with a negative quantity) had no shopper.
        if disorder.funnel && event.event_type == EventType::Purchase && event.quantity > 0 {
            all.extend(funnel_for(&event, &previous_code, &mut rng));
        }
        previous_code = event.stock_code.clone();
        all.push(event);
    }
    // Funnel events precede their purchase: restore event-time order (stable).
    all.sort_by_key(|e| e.event_time);
    let mut sends = Vec::with_capacity(all.len());
    for event in all {
        let late = unit(&mut rng) < disorder.late_fraction;
        let mut send_time = event.event_time + random_delay(&mut rng, disorder.jitter);
        if late {
            // Sent after the events up to `late_by` newer: its event time stays.
            send_time += disorder.late_by;
        }
        let duplicate = unit(&mut rng) < disorder.duplicate_fraction;
        if duplicate {
            let again = send_time + random_delay(&mut rng, Duration::seconds(60));
            sends.push(Send {
                event: event.clone(),
                send_time: again,
                late,
                duplicate: true,
            });
        }
        sends.push(Send {
            event,
            send_time,
            late,
            duplicate: false,
        });
    }
    sends.sort_by_key(|s| s.send_time);
    sends
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purchase(i: usize, minute: i64) -> Event {
        Event {
            schema_version: 1,
            event_id: format!("f.csv:{i}"),
            event_type: EventType::Purchase,
            event_time: NaiveDateTime::parse_from_str("2011-03-01 10:00:00", "%Y-%m-%d %H:%M:%S")
                .unwrap()
                + Duration::minutes(minute),
            invoice_no: Some(format!("{}", 540_000 + i)),
            stock_code: format!("2{i:04}"),
            description: None,
            quantity: 2,
            unit_price: 1_250,
            customer_id: Some(12_000 + i as i64),
            country: Some("France".into()),
        }
    }

    #[test]
    fn without_disorder_the_order_is_event_time() {
        let events: Vec<Event> = (0..50).map(|i| purchase(i, i as i64)).collect();
        let sends = schedule(events.clone(), &Disorder::default());
        let sent: Vec<&Event> = sends.iter().map(|s| &s.event).collect();
        assert_eq!(sent, events.iter().collect::<Vec<_>>());
    }

    #[test]
    fn late_events_are_sent_after_newer_ones_and_duplicates_twice() {
        let events: Vec<Event> = (0..2000).map(|i| purchase(i, i as i64)).collect();
        let disorder = Disorder {
            late_fraction: 0.1,
            late_by: Duration::minutes(30),
            duplicate_fraction: 0.05,
            ..Disorder::default()
        };
        let sends = schedule(events, &disorder);
        let duplicates = sends.iter().filter(|s| s.duplicate).count();
        let late = sends.iter().filter(|s| s.late && !s.duplicate).count();
        assert!((60..140).contains(&duplicates), "{duplicates}");
        assert!((150..250).contains(&late), "{late}");
        assert_eq!(sends.len(), 2000 + duplicates);
        let first_late = sends.iter().position(|s| s.late).unwrap();
        let overtaken = sends[..first_late]
            .iter()
            .filter(|s| s.event.event_time > sends[first_late].event.event_time)
            .count();
        assert!(overtaken >= 25, "{overtaken} newer events went first");
    }

    #[test]
    fn funnel_events_lead_to_each_purchase() {
        let events: Vec<Event> = (0..30).map(|i| purchase(i, 60 * i as i64)).collect();
        let sends = schedule(
            events,
            &Disorder {
                funnel: true,
                ..Disorder::default()
            },
        );
        for s in sends
            .iter()
            .filter(|s| s.event.event_type == EventType::Purchase)
        {
            let view = sends
                .iter()
                .position(|v| v.event.event_id == format!("{}/view", s.event.event_id))
                .unwrap();
            let cart = sends
                .iter()
                .position(|v| v.event.event_id == format!("{}/cart", s.event.event_id))
                .unwrap();
            let me = sends
                .iter()
                .position(|v| v.event.event_id == s.event.event_id)
                .unwrap();
            assert!(view < cart && cart < me);
        }
        assert!(sends.iter().any(|s| s.event.event_id.ends_with("/browse")));
    }
}
