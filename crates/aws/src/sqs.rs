use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_sqs::types::QueueAttributeName;
use sluice_core::facts::QueueDepth;

use crate::{AwsError, ErrorKind, QueueDepths};

/// SQS adapter. Queue names are resolved to URLs once per container: a warm Lambda
/// then makes one GetQueueAttributes call per queue per invocation.
#[derive(Debug)]
pub struct SqsQueues {
    client: aws_sdk_sqs::Client,
    urls: Mutex<HashMap<String, String>>,
}

impl SqsQueues {
    pub fn new(client: aws_sdk_sqs::Client) -> Self {
        Self {
            client,
            urls: Mutex::new(HashMap::new()),
        }
    }

    async fn url_of(&self, queue: &str) -> Result<String, AwsError> {
        if queue.starts_with("https://") || queue.starts_with("http://") {
            return Ok(queue.to_owned());
        }
        if let Some(url) = self
            .urls
            .lock()
            .ok()
            .and_then(|urls| urls.get(queue).cloned())
        {
            return Ok(url);
        }
        let output = self
            .client
            .get_queue_url()
            .queue_name(queue)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("SQS.GetQueueUrl", e))?;
        let url = output.queue_url.ok_or_else(|| {
            AwsError::new(
                "SQS.GetQueueUrl",
                ErrorKind::Other,
                format!("no URL returned for queue {queue}"),
            )
        })?;
        if let Ok(mut urls) = self.urls.lock() {
            urls.insert(queue.to_owned(), url.clone());
        }
        Ok(url)
    }

    fn forget(&self, queue: &str) {
        if let Ok(mut urls) = self.urls.lock() {
            urls.remove(queue);
        }
    }
}

#[async_trait]
impl QueueDepths for SqsQueues {
    async fn queue_depth(&self, queue: &str) -> Result<QueueDepth, AwsError> {
        let url = self.url_of(queue).await?;
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("SQS.GetQueueAttributes", e));
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                // A queue deleted and re-created has a new URL: resolve it afresh next time.
                if error.kind == ErrorKind::NotFound {
                    self.forget(queue);
                }
                return Err(error.about(format!("queue {queue}")));
            }
        };
        let attributes = output.attributes.unwrap_or_default();
        // A missing or garbled count is a failed read, never 0: a 0 would invite a
        // scale-in (or a sleep) on a fact nobody read.
        let count = |name: QueueAttributeName| -> Result<u64, AwsError> {
            let bad = |what: String| {
                AwsError::new("SQS.GetQueueAttributes", ErrorKind::BadResponse, what)
                    .about(format!("queue {queue}"))
            };
            let text = attributes
                .get(&name)
                .ok_or_else(|| bad(format!("no {} in the answer", name.as_str())))?;
            text.parse()
                .map_err(|_| bad(format!("{} is not a count: {text:?}", name.as_str())))
        };
        Ok(QueueDepth {
            visible: count(QueueAttributeName::ApproximateNumberOfMessages)?,
            in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
            delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed)?,
        })
    }
}
