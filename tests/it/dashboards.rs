//! Dashboards as code on the full data: the shipped dashboard's figures equal the same
//! questions asked in plain SQL.

use ecom::dashboards::{Figure, Places, Selection, evaluate};
use ecom::export::report::gather_for;
use ecom::warehouse::Warehouse;

use crate::common::full_marts;

#[test]
fn the_shipped_dashboard_shows_the_reference_figures() {
    let db = full_marts();
    let warehouse = Warehouse::open(&db).unwrap();
    let overview = Places::default().find("overview").unwrap().load().unwrap();
    let all = evaluate(warehouse.conn(), overview.clone(), &Selection::default()).unwrap();
    for (panel, figure) in all.dashboard.panels.iter().zip(&all.figures) {
        assert!(figure.is_ok(), "{}: {:?}", panel.title, figure);
    }
    // The fixed dashboard's figures (the report's code) are the file's figures.
    let report = gather_for(warehouse.conn(), None, None).unwrap();
    let kpi = |i: usize| match all.figures[i].as_ref().unwrap() {
        Figure::Kpi {
            value,
            previous: None,
        } => value.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(cents(kpi(0)), cents(report.kpis.revenue));
    assert_eq!(cents(kpi(0)), 9_726_006.95);
    assert_eq!(kpi(1) as i64, report.kpis.orders);
    assert_eq!(kpi(2) as i64, report.kpis.customers);
    assert_eq!(cents(kpi(3)), cents(report.kpis.average_order_value));
    assert_eq!(kpi(4), report.kpis.cancellation_rate);
    let Figure::Series(months) = all.figures[5].as_ref().unwrap() else {
        panic!("{:?}", all.figures[5])
    };
    let file_months: Vec<(String, f64)> = months
        .x_labels
        .iter()
        .zip(&months.series[0].1)
        .map(|(m, v)| (m.clone(), cents(v.unwrap())))
        .collect();
    let report_months: Vec<(String, f64)> = report
        .monthly_revenue
        .iter()
        .map(|(m, v)| (m.clone(), cents(*v)))
        .collect();
    assert_eq!(file_months, report_months);

    let november = Selection::from_args(
        &overview,
        &["period=2011-11".into(), "country=France".into()],
    )
    .unwrap();
    let france = evaluate(warehouse.conn(), overview, &november).unwrap();
    let Figure::Kpi { value, previous } = france.figures[0].as_ref().unwrap() else {
        panic!()
    };
    let expected = |from: &str, to: &str| -> f64 {
        warehouse
            .conn()
            .query_row(
                "select round(sum(revenue), 2)::double from marts.fact_sales where country = 'France' and invoice_ts::date between ?::date and ?::date",
                [from, to],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(value.map(cents), Some(expected("2011-11-01", "2011-11-30")));
    assert_eq!(
        previous.map(cents),
        Some(expected("2011-10-02", "2011-10-31"))
    );
}

fn cents(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}
