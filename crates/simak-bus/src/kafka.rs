//! Kafka through rdkafka (librdkafka).
//!
//! * Producer: idempotent (`enable.idempotence`, `acks=all`), so librdkafka's retries never
//!   duplicate or reorder a partition's records; [`KafkaProducer::send`] returns only when every
//!   record of the batch was acknowledged by the brokers.
//! * Consumers: auto-commit and auto offset store are off. A stage commits the offsets it has
//!   finished with ([`KafkaConsumer::commit`]) after its side effect succeeded.
//! * The indexer does not use group assignment: every replica reads every partition from the
//!   offsets stored in its own index ([`KafkaBus::assigned_consumer`]); it commits to its group
//!   only so that lag shows in the usual Kafka tools.

use crate::{BusError, Consumed, Offsets, Record};
use futures::FutureExt;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;
use rdkafka::{Message, Offset, TopicPartitionList};
use simak_core::config::BusConfig;
use std::sync::Arc;
use std::time::Duration;

const META_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a poll keeps gathering records after the first one.
pub const LINGER: Duration = Duration::from_millis(20);

fn kerr(context: &str, e: KafkaError) -> BusError {
    BusError::Kafka(format!("{context}: {e}"))
}

/// Connection settings for one Kafka cluster.
#[derive(Clone)]
pub struct KafkaBus {
    base: ClientConfig,
    overrides: Vec<(String, String)>,
    brokers: String,
    partitions: u32,
    replication: u16,
}

impl KafkaBus {
    /// Builds the client settings from the configuration. Connects lazily.
    pub fn new(cfg: &BusConfig) -> KafkaBus {
        let mut base = ClientConfig::new();
        base.set("bootstrap.servers", cfg.brokers.trim())
            .set("client.id", "simak");
        for (k, v) in &cfg.kafka_properties {
            base.set(k, v);
        }
        if let Some(pw) = simak_core::config::secret("kafka_password") {
            base.set("sasl.password", pw);
        }
        KafkaBus {
            base,
            overrides: cfg
                .kafka_properties
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            brokers: cfg.brokers.trim().to_string(),
            partitions: cfg.partitions,
            replication: cfg.replication_factor,
        }
    }

    /// The bootstrap servers.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// The cluster's id, as its brokers report it (`None` if they report none or cannot be
    /// reached): names the cluster whatever address it is reached at.
    pub async fn cluster_id(&self) -> Option<String> {
        let consumer: rdkafka::consumer::BaseConsumer =
            self.consumer_config("simak-admin").create().ok()?;
        tokio::task::spawn_blocking(move || {
            use rdkafka::consumer::Consumer as _;
            consumer
                .client()
                .fetch_cluster_id(META_TIMEOUT)
                .filter(|id| !id.trim().is_empty())
        })
        .await
        .ok()
        .flatten()
    }

    /// Creates `topic` with the configured partitions and replication if it does not exist.
    pub async fn ensure_topic(&self, topic: &str) -> Result<(), BusError> {
        let admin: AdminClient<DefaultClientContext> = self
            .base
            .create()
            .map_err(|e| kerr("creating the admin client", e))?;
        let new = NewTopic::new(
            topic,
            self.partitions as i32,
            TopicReplication::Fixed(self.replication as i32),
        );
        let opts = AdminOptions::new().operation_timeout(Some(Timeout::After(META_TIMEOUT)));
        let res = admin
            .create_topics(&[new], &opts)
            .await
            .map_err(|e| kerr(&format!("creating topic {topic}"), e))?;
        for r in res {
            match r {
                Ok(_) => tracing::info!(topic, partitions = self.partitions, "created topic"),
                Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((t, code)) => {
                    return Err(BusError::Kafka(format!("creating topic {t}: {code}")))
                }
            }
        }
        Ok(())
    }

    /// An idempotent producer for `topic`.
    pub fn producer(&self, topic: &str) -> Result<KafkaProducer, BusError> {
        let mut cfg = self.base.clone();
        cfg.set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .set("message.timeout.ms", "120000");
        let producer: FutureProducer =
            cfg.create().map_err(|e| kerr("creating the producer", e))?;
        Ok(KafkaProducer {
            producer,
            topic: topic.to_string(),
        })
    }

    fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut cfg = self.base.clone();
        cfg.set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            // Kafka's default before 3.0. Brokers may hold a JoinGroup for up to half the
            // session timeout (tansu does), so the 45 s default delays every restart.
            .set("session.timeout.ms", "10000");
        for (k, v) in &self.overrides {
            cfg.set(k, v);
        }
        cfg
    }

    /// A member of consumer group `group` on `topic`: partitions are shared among the members
    /// and each starts from the group's committed offsets.
    pub fn group_consumer(&self, topic: &str, group: &str) -> Result<KafkaConsumer, BusError> {
        let consumer: StreamConsumer = self
            .consumer_config(group)
            .create()
            .map_err(|e| kerr("creating the consumer", e))?;
        consumer
            .subscribe(&[topic])
            .map_err(|e| kerr(&format!("subscribing to {topic}"), e))?;
        Ok(KafkaConsumer {
            consumer: Arc::new(consumer),
            topic: topic.to_string(),
        })
    }

    /// A consumer of every partition of `topic` starting at `start` (the beginning where a
    /// partition is missing there), committing to `group` only for lag reporting.
    pub async fn assigned_consumer(
        &self,
        topic: &str,
        group: &str,
        start: &Offsets,
    ) -> Result<KafkaConsumer, BusError> {
        let consumer: StreamConsumer = self
            .consumer_config(group)
            .create()
            .map_err(|e| kerr("creating the consumer", e))?;
        let consumer = Arc::new(consumer);
        let partitions = {
            let c = consumer.clone();
            let t = topic.to_string();
            tokio::task::spawn_blocking(move || partition_count(&*c, &t))
                .await
                .map_err(|e| BusError::Kafka(e.to_string()))??
        };
        let mut tpl = TopicPartitionList::new();
        for p in 0..partitions {
            let off = match start.get(&p) {
                Some(o) => Offset::Offset(*o),
                None => Offset::Beginning,
            };
            tpl.add_partition_offset(topic, p, off)
                .map_err(|e| kerr("building the assignment", e))?;
        }
        consumer
            .assign(&tpl)
            .map_err(|e| kerr(&format!("assigning {topic}"), e))?;
        Ok(KafkaConsumer {
            consumer,
            topic: topic.to_string(),
        })
    }

    /// High watermarks (end offsets) of every partition of `topic`.
    pub async fn end_offsets(&self, topic: &str) -> Result<Offsets, BusError> {
        let consumer: rdkafka::consumer::BaseConsumer = self
            .consumer_config("simak-admin")
            .create()
            .map_err(|e| kerr("creating the consumer", e))?;
        let t = topic.to_string();
        tokio::task::spawn_blocking(move || {
            let n = partition_count(&consumer, &t)?;
            let mut out = Offsets::new();
            for p in 0..n {
                let (_, high) = consumer
                    .fetch_watermarks(&t, p, META_TIMEOUT)
                    .map_err(|e| kerr("fetching watermarks", e))?;
                out.insert(p, high);
            }
            Ok(out)
        })
        .await
        .map_err(|e| BusError::Kafka(e.to_string()))?
    }
}

fn partition_count<C: Consumer>(c: &C, topic: &str) -> Result<i32, BusError> {
    let md = c
        .fetch_metadata(Some(topic), META_TIMEOUT)
        .map_err(|e| kerr(&format!("fetching metadata of {topic}"), e))?;
    let t = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .ok_or_else(|| BusError::Kafka(format!("topic {topic} not found")))?;
    if let Some(err) = t.error() {
        return Err(BusError::Kafka(format!(
            "topic {topic}: {:?}",
            RDKafkaErrorCode::from(err)
        )));
    }
    Ok(t.partitions().len() as i32)
}

/// Produces batches to one topic.
#[derive(Clone)]
pub struct KafkaProducer {
    producer: FutureProducer,
    topic: String,
}

impl KafkaProducer {
    /// Sends `records` keyed by their key and returns once all are acknowledged.
    pub async fn send(&self, records: Vec<Record>) -> Result<(), BusError> {
        let futs = records.iter().map(|r| {
            self.producer.send(
                FutureRecord::to(&self.topic).key(&r.key).payload(&r.value),
                Timeout::After(Duration::from_secs(120)),
            )
        });
        let results = futures::future::join_all(futs).await;
        let mut failed = 0usize;
        let mut first = None;
        for r in results {
            if let Err((e, _)) = r {
                failed += 1;
                first.get_or_insert(e);
            }
        }
        match first {
            None => Ok(()),
            Some(e) => Err(BusError::Kafka(format!(
                "{failed} of {} records to {} not acknowledged: {e}",
                records.len(),
                self.topic
            ))),
        }
    }
}

/// Consumes one topic.
pub struct KafkaConsumer {
    consumer: Arc<StreamConsumer>,
    topic: String,
}

impl KafkaConsumer {
    /// Returns up to `max` records, waiting at most `wait` for the first one. After the first,
    /// it keeps taking what arrives for up to [`LINGER`], so a busy topic gives full batches
    /// (each batch costs a produce round-trip and a commit downstream).
    pub async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Consumed>, BusError> {
        let mut out = Vec::new();
        let first = match tokio::time::timeout(wait, self.consumer.recv()).await {
            Err(_) => return Ok(out),
            Ok(r) => r,
        };
        let linger_until = tokio::time::Instant::now() + LINGER.min(wait);
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Ok(m) => out.push(Consumed {
                    partition: m.partition(),
                    offset: m.offset(),
                    next_offset: m.offset() + 1,
                    key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                    value: m.payload().unwrap_or_default().to_vec(),
                    timestamp_ms: m.timestamp().to_millis().unwrap_or(0),
                }),
                Err(e) => {
                    if out.is_empty() {
                        return Err(kerr(&format!("consuming {}", self.topic), e));
                    }
                    tracing::warn!(topic = %self.topic, error = %e, "consumer error");
                    break;
                }
            }
            if out.len() >= max {
                break;
            }
            next = match self.consumer.recv().now_or_never() {
                Some(m) => Some(m),
                None => tokio::time::timeout_at(linger_until, self.consumer.recv())
                    .await
                    .ok(),
            };
        }
        Ok(out)
    }

    /// Commits `offsets` (next offset to read per partition) for the group.
    pub async fn commit(&mut self, offsets: &Offsets) -> Result<(), BusError> {
        if offsets.is_empty() {
            return Ok(());
        }
        let mut tpl = TopicPartitionList::new();
        for (p, o) in offsets {
            tpl.add_partition_offset(&self.topic, *p, Offset::Offset(*o))
                .map_err(|e| kerr("building the commit", e))?;
        }
        let c = self.consumer.clone();
        tokio::task::spawn_blocking(move || c.commit(&tpl, CommitMode::Sync))
            .await
            .map_err(|e| BusError::Kafka(e.to_string()))?
            .map_err(|e| kerr("committing offsets", e))
    }
}
