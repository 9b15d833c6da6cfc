//! The event on `uk-retail-raw` (schema version 1, see `docs/EVENTS.md`): what
//! `ecom simulate` produces and `ecom tail` accepts, with the checks that send a bad
//! message to the dead letters instead of the windows.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// The schema version this binary writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Why a message is not an event: the dead letter's reason, in the words users see.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error("not UTF-8: {0}")]
    NotUtf8(std::str::Utf8Error),
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("schema_version {found} is not supported (this ecom reads {SCHEMA_VERSION})")]
    UnsupportedVersion { found: String },
    #[error("wrong schema: {0}")]
    WrongSchema(serde_json::Error),
    /// Values no real event can have.
    #[error("impossible value: {0}")]
    Impossible(String),
    #[error(
        "event_time {event_time} is more than {limit} after the message's timestamp {reference} (--max-future-skew)"
    )]
    TooFarAhead {
        event_time: NaiveDateTime,
        limit: String,
        reference: NaiveDateTime,
    },
    #[error(
        "event_time {event_time} is more than {limit} before the message's timestamp {reference} (--max-past-skew)"
    )]
    TooFarBack {
        event_time: NaiveDateTime,
        limit: String,
        reference: NaiveDateTime,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    Purchase,
    Cancellation,
    ProductView,
    AddToCart,
}

impl EventType {
    pub fn name(self) -> &'static str {
        match self {
            EventType::Purchase => "purchase",
            EventType::Cancellation => "cancellation",
            EventType::ProductView => "product_view",
            EventType::AddToCart => "add_to_cart",
        }
    }

    /// Purchases and cancellations are source lines: they carry revenue.
    pub fn is_sale(self) -> bool {
        matches!(self, EventType::Purchase | EventType::Cancellation)
    }
}

/// One event. Prices are exact to the tenth of a penny: `unit_price` travels as a JSON
/// number and is held in thousandths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub schema_version: u32,
    /// Stable for a source line (`FILE:LINE`, plus `/view` or `/cart` for the funnel
    /// events made from it), so a replay is recognisable.
    pub event_id: String,
    pub event_type: EventType,
    /// RFC 3339 with `Z`: the CSV's zone-less times, read as UTC.
    #[serde(with = "rfc3339")]
    pub event_time: NaiveDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_no: Option<String>,
    pub stock_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub quantity: i64,
    #[serde(with = "milli")]
    pub unit_price: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Event {
    /// The message key: the customer, else the invoice, so a customer's events stay in
    /// order and an invoice never spans partitions.
    pub fn key(&self) -> String {
        match (self.customer_id, &self.invoice_no) {
            (Some(c), _) => c.to_string(),
            (None, Some(invoice)) => format!("invoice:{invoice}"),
            (None, None) => format!("event:{}", self.event_id),
        }
    }

    /// quantity × unit price, in thousandths.
    pub fn revenue_milli(&self) -> i64 {
        self.quantity * self.unit_price
    }

    /// Parses and checks one message payload; the error is the dead letter's reason.
    pub fn decode(payload: &[u8]) -> Result<Event, Rejected> {
        let text = std::str::from_utf8(payload).map_err(Rejected::NotUtf8)?;
        // The common case in one pass; a message that does not fit is parsed again
        // loosely, only to say why.
        if let Ok(event) = serde_json::from_str::<Event>(text)
            && event.schema_version == SCHEMA_VERSION
        {
            event.validate()?;
            return Ok(event);
        }
        let value: serde_json::Value = serde_json::from_str(text).map_err(Rejected::NotJson)?;
        let version = value.get("schema_version").and_then(|v| v.as_u64());
        if version != Some(SCHEMA_VERSION as u64) {
            return Err(Rejected::UnsupportedVersion {
                found: value
                    .get("schema_version")
                    .map_or("missing".into(), |v| v.to_string()),
            });
        }
        let event: Event = serde_json::from_value(value).map_err(Rejected::WrongSchema)?;
        event.validate()?;
        Ok(event)
    }

    /// Values no real event can have.
    pub fn validate(&self) -> Result<(), Rejected> {
        if self.event_id.trim().is_empty() {
            return Err(Rejected::Impossible("empty event_id".into()));
        }
        if self.stock_code.trim().is_empty() {
            return Err(Rejected::Impossible("empty stock_code".into()));
        }
        let year = chrono::Datelike::year(&self.event_time);
        if !(1990..=2100).contains(&year) {
            return Err(Rejected::Impossible(format!(
                "event_time in the year {year}"
            )));
        }
        if self.quantity.unsigned_abs() > 10_000_000 {
            return Err(Rejected::Impossible(format!("quantity {}", self.quantity)));
        }
        if self.unit_price.unsigned_abs() > 1_000_000_000 {
            return Err(Rejected::Impossible(format!(
                "unit_price {}",
                self.unit_price as f64 / 1000.0
            )));
        }
        match self.event_type {
            EventType::Purchase | EventType::Cancellation => {
                let Some(invoice) = &self.invoice_no else {
                    return Err(Rejected::Impossible(format!(
                        "a {} without invoice_no",
                        self.event_type.name()
                    )));
                };
                if self.quantity == 0 {
                    return Err(Rejected::Impossible(format!(
                        "a {} of quantity 0",
                        self.event_type.name()
                    )));
                }
                let cancelled = invoice.starts_with('C');
                if cancelled != (self.event_type == EventType::Cancellation) {
                    return Err(Rejected::Impossible(format!(
                        "a {} on invoice {invoice} (cancellation invoices, and only they, start with C)",
                        self.event_type.name()
                    )));
                }
            }
            EventType::ProductView | EventType::AddToCart => {
                if self.quantity < 0 {
                    return Err(Rejected::Impossible(format!(
                        "a {} of quantity {}",
                        self.event_type.name(),
                        self.quantity
                    )));
                }
            }
        }
        Ok(())
    }

    /// The event's time as Kafka timestamps it: milliseconds since the epoch, UTC.
    pub fn timestamp_millis(&self) -> i64 {
        self.event_time.and_utc().timestamp_millis()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events serialise")
    }
}

/// `event_time` as RFC 3339: written with `Z`, read with any offset and kept as UTC
/// without a zone, the clock the warehouse uses.
mod rfc3339 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(
            &t.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        )
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc).naive_utc())
            .map_err(|e| {
                serde::de::Error::custom(format!("event_time {text:?} is not RFC 3339: {e}"))
            })
    }
}

/// A price as a JSON number, held in thousandths.
mod milli {
    use super::*;

    pub fn serialize<S: serde::Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v as f64 / 1000.0)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() {
            return Err(serde::de::Error::custom(
                "unit_price is not a finite number",
            ));
        }
        Ok((v * 1000.0).round() as i64)
    }
}

/// How far an event's time may stray from the time its message was written: an
/// event dated years ahead would otherwise move its partition's watermark there and
/// make every real event after it late; one dated years back is as suspect.
#[derive(Debug, Clone, Copy)]
pub struct TimeBounds {
    pub max_future: chrono::Duration,
    pub max_past: chrono::Duration,
}

impl Default for TimeBounds {
    fn default() -> Self {
        Self {
            max_future: chrono::Duration::hours(1),
            max_past: chrono::Duration::days(400),
        }
    }
}

impl TimeBounds {
    /// Checks `event` against `reference`, the message's Kafka timestamp (CreateTime or
    /// LogAppendTime): stored in the log, so a replay of the message decides the same.
    pub fn check(&self, event: &Event, reference: NaiveDateTime) -> Result<(), Rejected> {
        if event.event_time > reference + self.max_future {
            return Err(Rejected::TooFarAhead {
                event_time: event.event_time,
                limit: humanize(self.max_future),
                reference,
            });
        }
        if event.event_time < reference - self.max_past {
            return Err(Rejected::TooFarBack {
                event_time: event.event_time,
                limit: humanize(self.max_past),
                reference,
            });
        }
        Ok(())
    }
}

fn humanize(duration: chrono::Duration) -> String {
    duration
        .to_std()
        .map(|d| humantime::format_duration(d).to_string())
        .unwrap_or_else(|_| duration.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_far_from_their_message_time_are_refused() {
        let event = purchase();
        let bounds = TimeBounds::default();
        let at = event.event_time;
        assert!(bounds.check(&event, at).is_ok());
        assert!(
            bounds
                .check(&event, at - chrono::Duration::minutes(59))
                .is_ok()
        );
        let future = bounds
            .check(&event, at - chrono::Duration::hours(2))
            .unwrap_err();
        assert!(future.to_string().contains("--max-future-skew"), "{future}");
        assert!(
            bounds
                .check(&event, at + chrono::Duration::days(399))
                .is_ok()
        );
        let past = bounds
            .check(&event, at + chrono::Duration::days(401))
            .unwrap_err();
        assert!(past.to_string().contains("--max-past-skew"), "{past}");
    }

    fn purchase() -> Event {
        Event {
            schema_version: 1,
            event_id: "2010-12-01.csv:2".into(),
            event_type: EventType::Purchase,
            event_time: NaiveDateTime::parse_from_str("2010-12-01 08:26:00", "%Y-%m-%d %H:%M:%S")
                .unwrap(),
            invoice_no: Some("536365".into()),
            stock_code: "85123A".into(),
            description: Some("WHITE HANGING HEART T-LIGHT HOLDER".into()),
            quantity: 6,
            unit_price: 2_550,
            customer_id: Some(17850),
            country: Some("United Kingdom".into()),
        }
    }

    #[test]
    fn round_trips_through_json_with_a_z_time_and_exact_price() {
        let event = purchase();
        let json = event.to_json();
        assert!(
            json.contains(r#""event_time":"2010-12-01T08:26:00Z""#),
            "{json}"
        );
        assert!(json.contains(r#""unit_price":2.55"#), "{json}");
        assert_eq!(Event::decode(json.as_bytes()).unwrap(), event);
        assert_eq!(event.revenue_milli(), 15_300);
        assert_eq!(event.key(), "17850");
    }

    #[test]
    fn bad_messages_get_a_reason() {
        let cases: [(&[u8], &str); 6] = [
            (b"\xff\xfe", "not UTF-8"),
            (b"{not json", "not JSON"),
            (br#"{"schema_version": 2}"#, "schema_version 2 is not supported"),
            (br#"{"schema_version": 1, "event_id": "x"}"#, "wrong schema"),
            (
                br#"{"schema_version":1,"event_id":"a","event_type":"purchase","event_time":"2011-01-01T10:00:00Z","invoice_no":"C1","stock_code":"X","quantity":-1,"unit_price":1.0}"#,
                "cancellation invoices, and only they",
            ),
            (
                br#"{"schema_version":1,"event_id":"a","event_type":"purchase","event_time":"yesterday","invoice_no":"1","stock_code":"X","quantity":1,"unit_price":1.0}"#,
                "not RFC 3339",
            ),
        ];
        for (payload, reason) in cases {
            let error = Event::decode(payload).unwrap_err();
            assert!(
                error.to_string().contains(reason),
                "{error} should contain {reason}"
            );
        }
    }

    #[test]
    fn offsets_other_than_z_are_read_as_utc() {
        let mut json = purchase().to_json();
        json = json.replace("2010-12-01T08:26:00Z", "2010-12-01T09:26:00+01:00");
        assert_eq!(
            Event::decode(json.as_bytes()).unwrap().event_time,
            purchase().event_time
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any bytes decode to an event or a reason, never a panic.
            #[test]
            fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                let _ = Event::decode(&bytes);
            }

            /// Well-formed JSON with any values in the fields decodes or is refused
            /// with a reason, never a panic, and what decodes passes its own checks.
            #[test]
            fn any_field_values_never_panic(
                quantity in any::<i64>(),
                price in any::<f64>(),
                year in 0i32..10_000,
                invoice in "C?[0-9]{0,7}",
                customer in proptest::option::of(any::<i64>()),
            ) {
                let json = serde_json::json!({
                    "schema_version": 1,
                    "event_id": "p:1",
                    "event_type": if invoice.starts_with('C') { "cancellation" } else { "purchase" },
                    "event_time": format!("{year:04}-06-01T12:00:00Z"),
                    "invoice_no": invoice,
                    "stock_code": "85123A",
                    "quantity": quantity,
                    "unit_price": price,
                    "customer_id": customer,
                    "country": "United Kingdom",
                });
                if let Ok(event) = Event::decode(json.to_string().as_bytes()) {
                    prop_assert!(event.validate().is_ok());
                    let _ = event.revenue_milli();
                }
            }
        }
    }
}
