//! Sending one notification to one receiver, with its timeout and retries.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::file::{Receiver, ReceiverKind};

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum SendError {
    #[error("{0}")]
    Http(#[from] reqwest::Error),
    #[error("HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("command: {0}")]
    Io(#[from] std::io::Error),
    #[error("command exited with {status}: {stderr}")]
    Exit { status: String, stderr: String },
    #[error("command timed out after {0:?} and was killed")]
    Timeout(Duration),
    #[error("topic: {0}")]
    Kafka(#[from] crate::stream::StreamError),
    #[error("topic: not delivered: {0}")]
    NotProduced(String),
    #[error("topic receiver without brokers (give brokers = \"host:port\")")]
    NoBrokers,
}

/// The outcome of [`send`]: attempts made and the last error, if it never got through.
pub(super) struct Sent {
    pub attempts: u32,
    pub error: Option<SendError>,
}

/// Sends `body` (notification `id`) to `receiver`, retrying with exponential backoff.
pub(super) fn send(
    receiver: &Receiver,
    id: &str,
    body: &str,
    default_brokers: Option<&str>,
) -> Sent {
    let mut pause = receiver.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = match &receiver.kind {
            ReceiverKind::Webhook {
                url,
                secret,
                headers,
            } => webhook(
                url,
                secret.as_ref().map(|s| s.0.as_str()),
                headers,
                id,
                body,
                receiver.timeout,
            ),
            ReceiverKind::Command { command } => run_command(command, id, body, receiver.timeout),
            ReceiverKind::Topic { topic, brokers } => produce(
                brokers.as_deref().or(default_brokers),
                topic,
                body,
                receiver.timeout,
            ),
            ReceiverKind::Log => {
                tracing::warn!(target: "ecom::alerts", receiver = %receiver.name, notification = %body, "alert notification");
                Ok(())
            }
        };
        match result {
            Ok(()) => {
                return Sent {
                    attempts,
                    error: None,
                };
            }
            Err(error) if attempts > receiver.retries => {
                return Sent {
                    attempts,
                    error: Some(error),
                };
            }
            Err(error) => {
                tracing::info!(receiver = %receiver.name, %error, attempts, "alert delivery failed; retrying");
                std::thread::sleep(pause);
                pause *= 2;
            }
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
pub(super) fn signature(secret: &str, body: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body.as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn webhook(
    url: &str,
    secret: Option<&str>,
    headers: &[(String, String)],
    id: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        let mut request = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-ecom-notification-id", id);
        if let Some(secret) = secret {
            request = request.header("x-ecom-signature", signature(secret, body));
        }
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.body(body.to_string()).send().await?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(SendError::Status {
            status: status.as_u16(),
            body: text.chars().take(200).collect(),
        })
    })
}

fn run_command(command: &str, id: &str, body: &str, timeout: Duration) -> Result<(), SendError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("ECOM_NOTIFICATION_ID", id)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    // Written and read on threads: a command that ignores stdin or floods stderr must
    // not hang the evaluation (the timeout below still holds).
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = body.to_string();
    std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SendError::Timeout(timeout));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    if status.success() {
        return Ok(());
    }
    let stderr = reader.join().unwrap_or_default();
    Err(SendError::Exit {
        status: status.to_string(),
        stderr: stderr.trim().chars().take(200).collect(),
    })
}

fn produce(
    brokers: Option<&str>,
    topic: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let brokers = brokers.ok_or(SendError::NoBrokers)?;
    let millis = timeout.as_millis().max(1).to_string();
    // Like the simulator: the topic is created when missing (one partition keeps the
    // notifications in order).
    crate::stream::kafka::ensure_topic(
        &crate::stream::kafka::client_config(brokers, &[], &[]),
        topic,
        1,
    )?;
    let producer = crate::stream::kafka::ReliableProducer::new(
        brokers,
        &[("message.timeout.ms".into(), millis)],
    )?;
    producer.send(topic, "alert", body)?;
    producer.flush(timeout)?;
    if producer.delivered() == 1 {
        Ok(())
    } else {
        Err(SendError::NotProduced(
            producer
                .last_error()
                .unwrap_or_else(|| "no acknowledgement in time".into()),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231, test case 2.
        assert_eq!(
            super::signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
