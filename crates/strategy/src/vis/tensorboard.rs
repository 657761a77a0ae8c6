//! TensorBoard event files (`events.out.tfevents.*`), as `TensorboardVisBackend`
//! writes them through PyTorch's `SummaryWriter`: TFRecord framing (length, masked
//! CRC-32C of the length, the record, masked CRC-32C of the record) around `Event`
//! protobuf messages: first the file version, then one scalar summary per logged value
//! and step, and the config as a text summary (`config/text_summary`). Encoded with
//! `prost` and `crc32c`; no file access here (the browser builds the same bytes).

use serde_json::Value;

/// The protobuf messages of TensorBoard's `event.proto` and `summary.proto` that a
/// scalar and a text summary need (the field numbers are TensorBoard's).
pub mod proto {
    /// `tensorboard.Event`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Event {
        /// Seconds since the Unix epoch.
        #[prost(double, tag = "1")]
        pub wall_time: f64,
        /// The global step.
        #[prost(int64, tag = "2")]
        pub step: i64,
        /// What the event holds.
        #[prost(oneof = "What", tags = "3, 5")]
        pub what: Option<What>,
    }

    /// `Event.what`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum What {
        /// `brain.Event:2`, the first event of a file.
        #[prost(string, tag = "3")]
        FileVersion(String),
        /// Values at this step.
        #[prost(message, tag = "5")]
        Summary(Summary),
    }

    /// `tensorboard.Summary`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Summary {
        /// The values.
        #[prost(message, repeated, tag = "1")]
        pub value: Vec<SummaryValue>,
    }

    /// `tensorboard.Summary.Value`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SummaryValue {
        /// The tag (`loss`, `accuracy/top1`).
        #[prost(string, tag = "1")]
        pub tag: String,
        /// Which plugin shows it (the text plugin for text).
        #[prost(message, optional, tag = "9")]
        pub metadata: Option<SummaryMetadata>,
        /// The value.
        #[prost(oneof = "Payload", tags = "2, 8")]
        pub value: Option<Payload>,
    }

    /// `Summary.Value.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Payload {
        /// A scalar.
        #[prost(float, tag = "2")]
        SimpleValue(f32),
        /// A tensor (strings, for text).
        #[prost(message, tag = "8")]
        Tensor(TensorProto),
    }

    /// `tensorboard.SummaryMetadata`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct SummaryMetadata {
        /// The plugin.
        #[prost(message, optional, tag = "1")]
        pub plugin_data: Option<PluginData>,
    }

    /// `SummaryMetadata.PluginData`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct PluginData {
        /// `text`.
        #[prost(string, tag = "1")]
        pub plugin_name: String,
        /// The plugin's own data (empty: version 0).
        #[prost(bytes = "vec", tag = "2")]
        pub content: Vec<u8>,
    }

    /// `tensorboard.TensorProto`, string tensors only.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorProto {
        /// `DT_STRING` (7).
        #[prost(int32, tag = "1")]
        pub dtype: i32,
        /// The shape.
        #[prost(message, optional, tag = "2")]
        pub tensor_shape: Option<TensorShape>,
        /// The strings.
        #[prost(bytes = "vec", repeated, tag = "8")]
        pub string_val: Vec<Vec<u8>>,
    }

    /// `tensorboard.TensorShapeProto`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TensorShape {
        /// The dimensions.
        #[prost(message, repeated, tag = "2")]
        pub dim: Vec<Dim>,
    }

    /// `TensorShapeProto.Dim`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Dim {
        /// Its size.
        #[prost(int64, tag = "1")]
        pub size: i64,
    }
}

use prost::Message;
use proto::{Event, Payload, PluginData, Summary, SummaryMetadata, SummaryValue, What};

/// TFRecord's masked CRC-32C.
fn masked_crc(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// One TFRecord: length, its masked CRC, the data, the data's masked CRC.
pub fn record(data: &[u8]) -> Vec<u8> {
    let len = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
    out
}

fn event(wall_time: f64, step: i64, what: What) -> Vec<u8> {
    record(
        &Event {
            wall_time,
            step,
            what: Some(what),
        }
        .encode_to_vec(),
    )
}

/// The first record of every event file.
pub fn file_version(wall_time: f64) -> Vec<u8> {
    event(wall_time, 0, What::FileVersion("brain.Event:2".into()))
}

/// A scalar at `step` (TensorBoard stores f32, as `add_scalar` does).
pub fn scalar(tag: &str, value: f64, step: i64, wall_time: f64) -> Vec<u8> {
    event(
        wall_time,
        step,
        What::Summary(Summary {
            value: vec![SummaryValue {
                tag: tag.into(),
                metadata: None,
                value: Some(Payload::SimpleValue(value as f32)),
            }],
        }),
    )
}

/// A text summary (`add_text(tag, text)`: the tag gets `/text_summary`).
pub fn text(tag: &str, text: &str, step: i64, wall_time: f64) -> Vec<u8> {
    event(
        wall_time,
        step,
        What::Summary(Summary {
            value: vec![SummaryValue {
                tag: format!("{tag}/text_summary"),
                metadata: Some(SummaryMetadata {
                    plugin_data: Some(PluginData {
                        plugin_name: "text".into(),
                        content: Vec::new(),
                    }),
                }),
                value: Some(Payload::Tensor(proto::TensorProto {
                    dtype: 7,
                    tensor_shape: Some(proto::TensorShape {
                        dim: vec![proto::Dim { size: 1 }],
                    }),
                    string_val: vec![text.as_bytes().to_vec()],
                })),
            }],
        }),
    )
}

/// The events of one `scalars.json` record (`TensorboardVisBackend.add_scalars`):
/// every number but `step` as a scalar at the record's `step`; others are skipped.
pub fn scalars_record(record: &Value, wall_time: f64) -> Vec<u8> {
    let mut out = Vec::new();
    let Some(map) = record.as_object() else {
        return out;
    };
    let step = map.get("step").and_then(Value::as_i64).unwrap_or(0);
    for (tag, v) in map {
        if tag == "step" {
            continue;
        }
        if let Some(x) = v.as_f64() {
            out.extend(scalar(tag, x, step, wall_time));
        }
    }
    out
}

/// A whole event file from `scalars.json` text (one record a line) and the config:
/// what the browser offers for download.
pub fn event_file(scalars_json: &str, config: Option<&str>, wall_time: f64) -> Vec<u8> {
    let mut out = file_version(wall_time);
    if let Some(c) = config {
        out.extend(text("config", c, 0, wall_time));
    }
    for line in scalars_json.lines().filter(|l| !l.trim().is_empty()) {
        if let Ok(record) = serde_json::from_str::<Value>(line) {
            out.extend(scalars_record(&record, wall_time));
        }
    }
    out
}

/// The file name `SummaryWriter` gives (`events.out.tfevents.<unix time>.<host>`).
pub fn file_name(unix_time: u64, host: &str) -> String {
    format!("events.out.tfevents.{unix_time}.{host}")
}

/// Reads an event file back: its events, every record's two CRCs checked; `Err`
/// names the byte offset of the first bad record.
pub fn read_events(mut bytes: &[u8]) -> Result<Vec<Event>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while !bytes.is_empty() {
        let bad = |what: &str| format!("event file: {what} at byte {at}");
        if bytes.len() < 12 {
            return Err(bad("a truncated record header"));
        }
        let len_bytes: [u8; 8] = bytes[..8].try_into().map_err(|_| bad("a header"))?;
        let crc: [u8; 4] = bytes[8..12].try_into().map_err(|_| bad("a header"))?;
        if u32::from_le_bytes(crc) != masked_crc(&len_bytes) {
            return Err(bad("a bad length CRC"));
        }
        let len = usize::try_from(u64::from_le_bytes(len_bytes)).map_err(|_| bad("a length"))?;
        if bytes.len() < 16 + len {
            return Err(bad("a truncated record"));
        }
        let data = &bytes[12..12 + len];
        let crc: [u8; 4] = bytes[12 + len..16 + len]
            .try_into()
            .map_err(|_| bad("a record"))?;
        if u32::from_le_bytes(crc) != masked_crc(data) {
            return Err(bad("a bad data CRC"));
        }
        out.push(Event::decode(data).map_err(|e| bad(&format!("not an event ({e})")))?);
        bytes = &bytes[16 + len..];
        at += 16 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<Event> {
        read_events(bytes).expect("reads back")
    }

    #[test]
    fn a_damaged_record_is_named() {
        let mut bytes = event_file("{\"loss\": 1.0, \"step\": 1}\n", None, 1.0);
        let n = bytes.len();
        bytes[n - 6] ^= 1;
        let e = read_events(&bytes).unwrap_err();
        assert!(e.contains("bad data CRC"), "{e}");
        assert!(
            read_events(&bytes[..n - 3])
                .unwrap_err()
                .contains("truncated")
        );
    }

    #[test]
    fn the_masked_crc_is_tfrecords() {
        // crc32c("123456789") = 0xE3069283, TFRecord's mask applied.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(
            masked_crc(b"123456789"),
            0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8)
        );
    }

    #[test]
    fn records_hold_the_version_the_config_and_every_scalar() {
        let scalars = "{\"lr\": 0.1, \"loss\": 0.5, \"epoch\": 1, \"iter\": 10, \"step\": 10}\n{\"accuracy/top1\": 90.0, \"step\": 1}\n";
        let events = read(&event_file(scalars, Some("lr = 0.1"), 1.5e9));
        assert_eq!(
            events[0].what,
            Some(What::FileVersion("brain.Event:2".into()))
        );
        let tags: Vec<(String, i64)> = events[1..]
            .iter()
            .map(|e| match &e.what {
                Some(What::Summary(s)) => (s.value[0].tag.clone(), e.step),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            tags,
            [
                ("config/text_summary".to_string(), 0),
                ("epoch".into(), 10),
                ("iter".into(), 10),
                ("loss".into(), 10),
                ("lr".into(), 10),
                ("accuracy/top1".into(), 1),
            ]
        );
    }
}
