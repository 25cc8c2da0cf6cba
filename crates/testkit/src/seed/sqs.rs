//! Queues and messages, as producers and workers make them.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::Emulators;

impl Emulators {
    pub async fn queue_url(&self, name: &str) -> Result<String> {
        let output = self
            .clients
            .sqs()
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .with_context(|| format!("GetQueueUrl {name}"))?;
        output.queue_url.context("GetQueueUrl returned no URL")
    }

    pub async fn create_queue(&self, name: &str) -> Result<String> {
        let output = self
            .clients
            .sqs()
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .context("CreateQueue")?;
        output.queue_url.context("CreateQueue returned no URL")
    }

    pub async fn send_messages(
        &self,
        queue_url: &str,
        count: usize,
        delay_seconds: i32,
    ) -> Result<()> {
        for index in 0..count {
            self.clients
                .sqs()
                .send_message()
                .queue_url(queue_url)
                .message_body(format!("{{\"job\": {index}}}"))
                .delay_seconds(delay_seconds)
                .send()
                .await
                .context("SendMessage")?;
        }
        Ok(())
    }

    /// Receives (without deleting) up to `count` messages: they become in-flight.
    pub async fn take_in_flight(&self, queue_url: &str, count: i32) -> Result<usize> {
        let mut taken = 0;
        while taken < count as usize {
            let output = self
                .clients
                .sqs()
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages((count - taken as i32).min(10))
                .visibility_timeout(600)
                .send()
                .await
                .context("ReceiveMessage")?;
            let received = output.messages().len();
            if received == 0 {
                break;
            }
            taken += received;
        }
        Ok(taken)
    }

    pub async fn queue_counts(&self, queue_url: &str) -> Result<BTreeMap<String, String>> {
        let output = self
            .clients
            .sqs()
            .get_queue_attributes()
            .queue_url(queue_url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .context("GetQueueAttributes")?;
        Ok(output
            .attributes
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.as_str().to_owned(), v))
            .collect())
    }

    /// Deletes up to `count` messages, as a worker that finished them would.
    pub async fn consume(&self, queue_url: &str, count: i32) -> Result<usize> {
        let output = self
            .clients
            .sqs()
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(count.min(10))
            .send()
            .await
            .context("ReceiveMessage")?;
        for message in output.messages() {
            if let Some(handle) = message.receipt_handle() {
                self.clients
                    .sqs()
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .context("DeleteMessage")?;
            }
        }
        Ok(output.messages().len())
    }
}
