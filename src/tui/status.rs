//! The status line's message: what the last thing done said, as information or as an
//! error. Every screen's update may set it.

#[derive(Debug, Clone, PartialEq)]
pub enum StatusKind {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub kind: StatusKind,
    pub text: String,
}

impl Status {
    pub fn info(&mut self, text: impl Into<String>) {
        *self = Self {
            kind: StatusKind::Info,
            text: text.into(),
        };
    }

    pub fn error(&mut self, text: impl Into<String>) {
        *self = Self {
            kind: StatusKind::Error,
            text: text.into(),
        };
    }
}

impl Default for Status {
    fn default() -> Self {
        Self {
            kind: StatusKind::Info,
            text: String::new(),
        }
    }
}
