//! Dashboards as code: files of variables and panels, each panel a SQL query.
