//! Server-sent events, as the API server streams a task's log: the lines of a
//! `text/event-stream` body read into events.

/// One event: its type (`message` when the stream names none), id and data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEvent {
    /// The event's type.
    pub event: String,
    /// Its id, when it has one.
    pub id: Option<String>,
    /// Its data, its `data:` lines joined with newlines.
    pub data: String,
}

/// Reads events from the lines of a stream, one line at a time.
#[derive(Debug, Default)]
pub struct EventReader {
    event: Option<String>,
    id: Option<String>,
    data: Vec<String>,
}

impl EventReader {
    /// Take one line (without its line ending): the event it completes, if any.
    pub fn line(&mut self, line: &str) -> Option<ServerEvent> {
        if line.is_empty() {
            let event = self.event.take();
            let id = self.id.take();
            if self.data.is_empty() {
                return None;
            }
            let data = std::mem::take(&mut self.data).join("\n");
            return Some(ServerEvent {
                event: event.unwrap_or_else(|| "message".to_owned()),
                id,
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "id" => self.id = Some(value.to_owned()),
            "data" => self.data.push(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<ServerEvent> {
        let mut reader = EventReader::default();
        text.lines().filter_map(|line| reader.line(line)).collect()
    }

    #[test]
    fn events_carry_their_type_id_and_data() {
        let events = read(
            ": keep-alive\n\nevent: line\nid: 0\ndata: {\"a\":1}\n\n\
             event:end\ndata:{\"state\":\"success\"}\n\ndata: one\ndata: two\n\n",
        );
        assert_eq!(
            events,
            [
                ServerEvent {
                    event: "line".into(),
                    id: Some("0".into()),
                    data: "{\"a\":1}".into()
                },
                ServerEvent {
                    event: "end".into(),
                    id: None,
                    data: "{\"state\":\"success\"}".into()
                },
                ServerEvent {
                    event: "message".into(),
                    id: None,
                    data: "one\ntwo".into()
                },
            ]
        );
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        assert!(read("event: line\nid: 3\n\n").is_empty());
        assert_eq!(read("event: a\n\ndata: x\n\n")[0].event, "message");
    }
}
