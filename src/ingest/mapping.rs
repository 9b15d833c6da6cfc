//! Which shape a source has and how its columns become `raw.order_lines`: the presets
//! (`uci`, `uci-ii`, `shopify`, `woocommerce`), recognised from the header, and column
//! mappings in TOML (`--mapping FILE`, `[ingest.mapping]`). The shop presets are
//! mappings themselves, written in the same format a user writes (`assets/presets/`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::mapping_error::MappingError;
use super::read_error::ReadError;

/// The currency of the UCI data sets (a UK shop's prices, in pounds sterling).
pub const UCI_CURRENCY: &str = "GBP";

/// A known shape of order export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// UCI "Online Retail" (2010–2011), both of its public CSV dialects.
    Uci,
    /// UCI "Online Retail II" (2009–2011): `Invoice`, `Price`, `Customer ID`.
    UciIi,
    /// Shopify's orders export, one row per line item.
    Shopify,
    /// WooCommerce's order export, one row per item.
    Woocommerce,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::Uci,
        Preset::UciIi,
        Preset::Shopify,
        Preset::Woocommerce,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Uci => "uci",
            Self::UciIi => "uci-ii",
            Self::Shopify => "shopify",
            Self::Woocommerce => "woocommerce",
        }
    }

    /// Whether the UCI line parser reads it (the column names of `dialect::layout`).
    pub fn is_uci(self) -> bool {
        matches!(self, Self::Uci | Self::UciIi)
    }

    /// `uci-ii` when a UCI header uses the second data set's names (`Invoice`,
    /// `Price`), else `uci`.
    pub fn of_uci_header(header: &str) -> Self {
        let names: Vec<String> = header
            .split([',', ';', '\t', '|'])
            .map(super::dialect::normalise)
            .collect();
        if names.iter().any(|n| n == "invoice" || n == "price") {
            Self::UciIi
        } else {
            Self::Uci
        }
    }

    /// The mapping of a shop preset (`None` for the UCI ones, read by column names).
    pub fn mapping(self) -> Option<Mapping> {
        let text = match self {
            Self::Shopify => include_str!("../../assets/presets/shopify.toml"),
            Self::Woocommerce => include_str!("../../assets/presets/woocommerce.toml"),
            Self::Uci | Self::UciIi => return None,
        };
        Some(Mapping::parse(text, self.name()).expect("a bundled preset is a valid mapping"))
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = MappingError;
    fn from_str(s: &str) -> Result<Self, MappingError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| MappingError::UnknownPreset {
                name: s.to_string(),
                presets: Self::ALL.iter().map(|p| p.name()).collect(),
            })
    }
}

/// Where a field's value comes from: a column of the source (by its header name), a
/// SQL expression over the source's columns (DuckDB, all columns text), or a constant.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Expr {
    Column(String),
    Sql { sql: String },
    Value { value: String },
}

/// The source of every field of `raw.order_lines` a mapping can fill.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Columns {
    pub invoice_no: Option<Expr>,
    pub stock_code: Option<Expr>,
    pub description: Option<Expr>,
    pub quantity: Option<Expr>,
    pub invoice_date: Option<Expr>,
    pub unit_price: Option<Expr>,
    /// A whole-number customer id.
    pub customer_id: Option<Expr>,
    /// Or an e-mail: each lower-cased address gets a stable whole-number id.
    pub customer_email: Option<Expr>,
    pub country: Option<Expr>,
    pub currency: Option<Expr>,
    /// True for a line of a cancelled order: it is stored as a UCI cancellation
    /// (invoice `C…`, negative quantity).
    pub cancelled: Option<Expr>,
    /// An order-level refunded amount (from the order's first row): a refund line is
    /// added for it (invoice `C…`, stock code `REFUND`, quantity -1).
    pub refund_amount: Option<Expr>,
}

/// The order of day and month in dates, when no `date_format` is given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    /// Decided from the whole file's values.
    #[default]
    Auto,
    Iso,
    DayFirst,
    MonthFirst,
}

/// How the source writes its values.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Formats {
    /// CSV delimiter (one character, or `tab`); detected from the header when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The decimal mark: `.` (default) or `,`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal: Option<String>,
    /// A thousands separator dropped from numbers (`.`, `,`, `'` or a space).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thousands: Option<String>,
    pub date_order: DateOrder,
    /// A chrono `strftime` pattern for dates (`%d.%m.%Y %H:%M`), instead of `date_order`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// The zone of times written without an offset (IANA name); the shop's own zone
    /// (`ingest.timezone`) when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The currency of every price when no `currency` column is mapped (ISO 4217).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Keep customers' e-mail addresses in clear in `meta.customer_keys` (only a hash
    /// of each is kept otherwise).
    pub keep_emails: bool,
}

/// A column mapping (the format of `--mapping FILE`, `[ingest.mapping]` and the presets).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mapping {
    /// Recorded in `raw.order_lines.source_preset`; `mapping` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Header names that identify this shape (presets: all must be present).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub detect: Vec<String>,
    pub columns: Columns,
    pub format: Formats,
    /// Columns written only on an order's first row, carried down to its other rows
    /// (rows of one order share the `invoice_no` value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fill_down: Vec<String>,
    /// Columns a file may lack (exports differ by version and settings): read as empty
    /// when absent, so expressions over them still run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub optional: Vec<String>,
}

impl Mapping {
    /// Reads a mapping from TOML; `origin` names the file in errors (with the line).
    pub fn parse(text: &str, origin: &str) -> Result<Self, MappingError> {
        let mapping: Mapping = toml::from_str(text).map_err(|source| MappingError::Toml {
            origin: origin.to_string(),
            source,
        })?;
        mapping.validate().map_err(|source| MappingError::Invalid {
            origin: origin.to_string(),
            source: Box::new(source),
        })?;
        Ok(mapping)
    }

    /// The mapping of a UCI header in a format the line parser does not read (a
    /// workbook, Parquet, JSON): its columns by the names the header uses.
    pub fn uci(header: &[String], preset: Preset) -> Result<Self, ReadError> {
        let layout = super::dialect::layout(&header.join("\t"))?;
        let column = |field: super::dialect::Field| {
            layout.positions[field as usize].map(|i| Expr::Column(header[i].clone()))
        };
        use super::dialect::Field;
        Ok(Self {
            name: Some(preset.name().to_string()),
            columns: Columns {
                invoice_no: column(Field::InvoiceNo),
                stock_code: column(Field::StockCode),
                description: column(Field::Description),
                quantity: column(Field::Quantity),
                invoice_date: column(Field::InvoiceDate),
                unit_price: column(Field::UnitPrice),
                customer_id: column(Field::CustomerId),
                country: column(Field::Country),
                ..Columns::default()
            },
            format: Formats {
                currency: Some(UCI_CURRENCY.to_string()),
                ..Formats::default()
            },
            ..Self::default()
        })
    }

    pub fn load(path: &std::path::Path) -> Result<Self, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|source| MappingError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("mapping")
    }

    /// Checks what can be checked before a file is read.
    pub fn validate(&self) -> Result<(), MappingError> {
        let c = &self.columns;
        let required = [
            ("invoice_no", &c.invoice_no),
            ("stock_code", &c.stock_code),
            ("quantity", &c.quantity),
            ("invoice_date", &c.invoice_date),
            ("unit_price", &c.unit_price),
        ];
        let missing: Vec<&str> = required
            .iter()
            .filter(|(_, e)| e.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(MappingError::MissingFields(missing));
        }
        if c.customer_id.is_some() && c.customer_email.is_some() {
            return Err(MappingError::BothCustomers);
        }
        let f = &self.format;
        for (what, value) in [
            ("delimiter", &f.delimiter),
            ("decimal", &f.decimal),
            ("thousands", &f.thousands),
        ] {
            if let Some(v) = value
                && v.chars().count() != 1
                && !(what == "delimiter" && v == "tab")
            {
                return Err(MappingError::NotOneCharacter {
                    what,
                    value: v.clone(),
                });
            }
        }
        if !matches!(f.decimal.as_deref(), None | Some(".") | Some(",")) {
            return Err(MappingError::DecimalMark);
        }
        if f.decimal.is_some() && f.decimal == f.thousands {
            return Err(MappingError::SameMarks);
        }
        if let Some(zone) = &f.timezone {
            super::values::zone(zone).map_err(MappingError::Timezone)?;
        }
        Ok(())
    }

    /// The CSV delimiter it names, if any.
    pub fn delimiter(&self) -> Option<u8> {
        match self.format.delimiter.as_deref()? {
            "tab" => Some(b'\t'),
            d => d.bytes().next(),
        }
    }

    /// How numbers are written.
    pub fn number_format(&self) -> super::values::NumberFormat {
        let char_of = |s: &Option<String>| s.as_deref().and_then(|s| s.chars().next());
        super::values::NumberFormat {
            decimal: char_of(&self.format.decimal).unwrap_or('.'),
            thousands: char_of(&self.format.thousands),
        }
    }

    /// Whether a header holds every column this mapping needs to recognise its shape.
    fn detected_in(&self, header: &[String]) -> bool {
        !self.detect.is_empty()
            && self
                .detect
                .iter()
                .all(|name| find_column(header, name).is_some())
    }
}

/// The position of a header name: exact, else ignoring case and surrounding spaces.
pub fn find_column(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h == name).or_else(|| {
        let wanted = name.trim().to_lowercase();
        header
            .iter()
            .position(|h| h.trim().to_lowercase() == wanted)
    })
}

/// How one source is read: by the UCI line parser, or through a mapping.
#[derive(Debug, Clone)]
pub enum Shape {
    Uci(Preset),
    Mapped(Box<Mapping>),
}

impl Shape {
    pub fn name(&self) -> &str {
        match self {
            Self::Uci(preset) => preset.name(),
            Self::Mapped(mapping) => mapping.name(),
        }
    }
}

/// What the user asked for: a mapping, or a preset, or neither (detect).
#[derive(Debug, Clone, Default)]
pub struct ShapeChoice {
    pub preset: Option<Preset>,
    pub mapping: Option<Mapping>,
}

impl ShapeChoice {
    /// Picks the shape of a source from its header (column names, in order).
    pub fn choose(&self, header: &[String]) -> Result<Shape, MappingError> {
        if let Some(mapping) = &self.mapping {
            return Ok(Shape::Mapped(Box::new(mapping.clone())));
        }
        let joined = header.join("\t");
        let uci = super::dialect::layout(&joined).is_ok();
        match self.preset {
            Some(p) if p.is_uci() => Ok(Shape::Uci(p)),
            Some(p) => Ok(Shape::Mapped(Box::new(
                p.mapping().expect("a shop preset has a mapping"),
            ))),
            None if uci => Ok(Shape::Uci(Preset::of_uci_header(&joined))),
            None => {
                let matches: Vec<(Preset, Mapping)> = Preset::ALL
                    .into_iter()
                    .filter_map(|p| p.mapping().map(|m| (p, m)))
                    .filter(|(_, m)| m.detected_in(header))
                    .collect();
                match matches.len() {
                    1 => Ok(Shape::Mapped(Box::new(
                        matches.into_iter().next().expect("one").1,
                    ))),
                    0 => Err(MappingError::UnknownShape(header.to_vec())),
                    _ => Err(MappingError::SeveralPresets(
                        matches.iter().map(|(p, _)| p.name()).collect(),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn presets_are_valid_and_recognised_by_their_headers() {
        for preset in Preset::ALL {
            assert_eq!(preset.name().parse::<Preset>().unwrap(), preset);
            if let Some(m) = preset.mapping() {
                assert_eq!(m.name(), preset.name());
                let shape = ShapeChoice::default().choose(&m.detect).unwrap();
                assert_eq!(shape.name(), preset.name());
            }
        }
        let ii: Vec<String> =
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
                .split(',')
                .map(String::from)
                .collect();
        assert_eq!(ShapeChoice::default().choose(&ii).unwrap().name(), "uci-ii");
        assert!(
            "ebay"
                .parse::<Preset>()
                .unwrap_err()
                .to_string()
                .contains("woocommerce")
        );
    }

    #[test]
    fn an_unknown_header_lists_its_columns_and_the_way_on() {
        let err = ShapeChoice::default()
            .choose(&header(&["order", "sku", "qty"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("`order`, `sku`, `qty`"), "{err}");
        assert!(err.contains("--suggest-mapping"), "{err}");
    }

    #[test]
    fn mappings_are_checked_with_the_file_and_line() {
        let err = Mapping::parse("[columns]\ninvoice_no = \"A\"\n", "shop.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("shop.toml") && err.contains("stock_code"),
            "{err}"
        );
        let err = Mapping::parse("[columns]\ninvoce = 1\n", "shop.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2"), "{err}");
        let full = r#"
            [columns]
            invoice_no = "Order"
            stock_code = { sql = "upper(\"SKU\")" }
            quantity = "Qty"
            invoice_date = "Date"
            unit_price = "Price"
            country = { value = "France" }
            [format]
            delimiter = ";"
            decimal = ","
            thousands = "."
            date_order = "day-first"
            timezone = "Europe/Paris"
        "#;
        let m = Mapping::parse(full, "shop.toml").unwrap();
        assert_eq!(m.delimiter(), Some(b';'));
        assert_eq!(m.number_format().decimal, ',');
        assert_eq!(
            m.columns.country,
            Some(Expr::Value {
                value: "France".into()
            })
        );
        let bad_zone = full.replace("Europe/Paris", "Europe/Atlantis");
        assert!(
            Mapping::parse(&bad_zone, "x")
                .unwrap_err()
                .to_string()
                .contains("timezone")
        );
    }
}
