//! One component per screen: each has its own state, an `update` that takes the actions
//! meant for it and returns the effects they need, and a `draw`. Screens know the
//! actions, effects, status line, jobs list, widgets and theme; never the app or `ui`.

pub mod alerts;
pub mod browser;
pub mod dashboard;
pub mod jobs;
pub mod ml;
pub mod models;
pub mod quality;
pub mod sql;
pub mod stream;
