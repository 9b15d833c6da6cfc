//! The peer of `ecom tail` in scripts/bench.sh: a bare rdkafka `BaseConsumer`, a member
//! of a consumer group like the tail, that reads N messages and does nothing with them.
//! Prints `{"messages": N, "seconds": S}`, timed from its first message.
//!
//! Usage: bare_consumer BROKERS TOPIC GROUP N

use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, brokers, topic, group, count] = args.as_slice() else {
        return Err("usage: bare_consumer BROKERS TOPIC GROUP N".into());
    };
    let count: u64 = count.parse()?;
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .create()?;
    consumer.subscribe(&[topic])?;
    let mut first = None;
    let mut seen = 0u64;
    while seen < count {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            message?;
            first.get_or_insert_with(Instant::now);
            seen += 1;
        }
    }
    let seconds = first.map_or(0.0, |t| t.elapsed().as_secs_f64());
    println!("{{\"messages\": {seen}, \"seconds\": {seconds}}}");
    Ok(())
}
