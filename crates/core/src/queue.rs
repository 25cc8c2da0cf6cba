//! The queues that feed a target, and its backlog over them. A queue is its name or
//! URL, or `{name, weight, priority}`: a retry queue at weight 0.5 counts half a
//! message per message, and a message on a priority queue wakes the service whatever
//! the activation threshold.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::facts::{MetricQuery, QueueDepth};

/// SQS's own metrics, per queue (`QueueName`), as CloudWatch holds them.
pub const SQS_NAMESPACE: &str = "AWS/SQS";
pub const AGE_OF_OLDEST_MESSAGE: &str = "ApproximateAgeOfOldestMessage";
pub const MESSAGES_SENT: &str = "NumberOfMessagesSent";
pub const MESSAGES_RECEIVED: &str = "NumberOfMessagesReceived";
/// Messages deleted: what the consumers finished.
pub const MESSAGES_DELETED: &str = "NumberOfMessagesDeleted";

/// How stale a count SQS returns may be: ApproximateNumberOfMessages and its kin "may
/// not achieve consistency until at least 1 minute after the producers stop sending
/// messages" (GetQueueAttributes, Amazon SQS API Reference). A read shows the queue at
/// some moment of the last minute: just after a job it may show the work already done
/// (a "gap" of seconds between two reads is no gap), and two reads seconds apart may be
/// a minute apart in what they show (their difference is no rate).
pub const STALE_READ_SECONDS: i64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    /// SQS queue name or URL.
    pub name: String,
    /// How much one of its messages counts in the backlog (1 unless given).
    pub weight: f64,
    /// A message here is activity whatever the activation threshold.
    pub priority: bool,
}

/// The fields of the long form; the short form is the name alone.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueueFields {
    name: String,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    priority: bool,
}

fn one() -> f64 {
    1.0
}

impl Queue {
    pub fn new(name: impl Into<String>) -> Queue {
        Queue {
            name: name.into(),
            weight: 1.0,
            priority: false,
        }
    }

    /// The queue's name, also when it is given as a URL (CloudWatch's `QueueName`).
    pub fn short_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }

    /// One of SQS's own CloudWatch metrics for this queue.
    pub fn sqs_metric(&self, metric: &str, statistic: &'static str) -> MetricQuery {
        MetricQuery {
            namespace: SQS_NAMESPACE.to_owned(),
            metric: metric.to_owned(),
            dimensions: [("QueueName".to_owned(), self.short_name().to_owned())].into(),
            statistic,
        }
    }

    fn is_plain(&self) -> bool {
        self.weight == 1.0 && !self.priority
    }
}

impl Serialize for Queue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        if self.is_plain() {
            return serializer.serialize_str(&self.name);
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        if self.weight != 1.0 {
            map.serialize_entry("weight", &self.weight)?;
        }
        if self.priority {
            map.serialize_entry("priority", &true)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Queue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Queue, D::Error> {
        struct QueueVisitor;
        impl<'de> Visitor<'de> for QueueVisitor {
            type Value = Queue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a queue name or URL, or {name, weight, priority}")
            }

            fn visit_str<E: de::Error>(self, name: &str) -> Result<Queue, E> {
                Ok(Queue::new(name))
            }

            fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<Queue, M::Error> {
                // Field errors keep their names (weight: "half" says weight).
                let fields = QueueFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Queue {
                    name: fields.name,
                    weight: fields.weight,
                    priority: fields.priority,
                })
            }
        }
        deserializer.deserialize_any(QueueVisitor)
    }
}

/// A target's backlog over its queues.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Backlog {
    /// The plain sums over every queue (what the queues hold).
    pub depth: QueueDepth,
    /// Visible + in flight + delayed, each queue's count times its weight, rounded
    /// up: what activation, wake sizing and BacklogPerTask use.
    pub weighted: u64,
    /// The in-flight part of `weighted` (received, not yet deleted), weighted the
    /// same way, rounded up: what the load model counts as work in hand.
    pub weighted_in_flight: u64,
    /// Messages (visible, in flight or delayed) on priority queues.
    pub priority: u64,
    /// The in-flight part of `priority`.
    pub priority_in_flight: u64,
}

impl Backlog {
    /// The backlog of queues of weight 1, none of them a priority queue.
    pub fn plain(depth: QueueDepth) -> Backlog {
        Backlog {
            depth,
            weighted: depth.backlog(),
            weighted_in_flight: depth.in_flight,
            priority: 0,
            priority_in_flight: 0,
        }
    }

    /// The backlog and the priority backlog a task started now could receive: what is
    /// visible or delayed. What is in flight is held by a consumer, and a message a
    /// stopped task held is received by no one until it is visible again.
    pub fn receivable(&self) -> (u64, u64) {
        (
            self.weighted.saturating_sub(self.weighted_in_flight),
            self.priority.saturating_sub(self.priority_in_flight),
        )
    }
}

/// The backlog of `queues` from their depths, in the same order.
pub fn backlog(queues: &[Queue], depths: &[QueueDepth]) -> Backlog {
    let mut weighted = 0.0;
    let mut in_flight = 0.0;
    let mut total = Backlog::default();
    for (queue, depth) in queues.iter().zip(depths) {
        total.depth = total.depth + *depth;
        weighted += depth.backlog() as f64 * queue.weight;
        in_flight += depth.in_flight as f64 * queue.weight;
        if queue.priority {
            total.priority = total.priority.saturating_add(depth.backlog());
            total.priority_in_flight = total.priority_in_flight.saturating_add(depth.in_flight);
        }
    }
    // f64 -> u64 saturates; the weight is validated finite and above 0.
    total.weighted = weighted.ceil() as u64;
    total.weighted_in_flight = (in_flight.ceil() as u64).min(total.weighted);
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(visible: u64) -> QueueDepth {
        QueueDepth {
            visible,
            in_flight: 0,
            delayed: 0,
        }
    }

    #[test]
    fn the_backlog_is_the_weighted_sum_and_priority_messages_are_counted_apart() {
        let queues = [
            Queue::new("jobs"),
            Queue {
                weight: 0.5,
                ..Queue::new("retries")
            },
            Queue {
                priority: true,
                ..Queue::new("urgent")
            },
        ];
        let backlog = backlog(&queues, &[depth(10), depth(3), depth(1)]);
        assert_eq!(backlog.depth.visible, 14);
        assert_eq!(backlog.weighted, 13, "10 + 1.5 rounded up + 1");
        assert_eq!(backlog.priority, 1);
        assert_eq!(backlog.receivable(), (13, 1), "nothing in flight");
    }

    #[test]
    fn what_is_in_flight_is_not_receivable() {
        let queues = [
            Queue::new("jobs"),
            Queue {
                priority: true,
                ..Queue::new("urgent")
            },
        ];
        let held = |visible, in_flight| QueueDepth {
            visible,
            in_flight,
            delayed: 1,
        };
        let backlog = backlog(&queues, &[held(2, 3), held(0, 2)]);
        assert_eq!(backlog.weighted, 9);
        assert_eq!(backlog.priority, 3);
        assert_eq!(backlog.receivable(), (4, 1), "visible and delayed");
    }

    #[test]
    fn short_and_long_forms_read_and_write_back() {
        let yaml = "- jobs\n- { name: retries, weight: 0.5 }\n- { name: urgent, priority: true }\n";
        let queues: Vec<Queue> = serde_yaml_ng::from_str(yaml).expect("queues");
        assert_eq!(queues[0], Queue::new("jobs"));
        assert_eq!(queues[1].weight, 0.5);
        assert!(queues[2].priority);
        let again: Vec<Queue> =
            serde_yaml_ng::from_str(&serde_yaml_ng::to_string(&queues).expect("yaml"))
                .expect("round trip");
        assert_eq!(again, queues);
        let wrong = serde_yaml_ng::from_str::<Vec<Queue>>("- { name: q, weight: half }\n");
        let message = wrong.expect_err("a weight must be a number").to_string();
        assert!(
            message.contains("weight") || message.contains("f64"),
            "{message}"
        );
    }
}
