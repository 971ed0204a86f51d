//! `yimen report connection-rate` and `yimen report snapshot`: the connection rate against its target,
//! overall or broken down, as a table, CSV or JSON; and today's snapshot for the trend.

use crate::app::Services;
use crate::catalog::report::{Dimension, Line, Report};
use crate::store::connections::ItemFilter;
use anyhow::anyhow;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The connection rate: connected items ÷ active catalogue items.
    ///
    /// The table's columns (the CSV and JSON fields are named after the same counts):
    ///   items       active service items (withdrawn ones are not counted);
    ///   registered  of those, items whose business system has an enabled OIDC client;
    ///   connected   items whose system's client has completed at least one login;
    ///   recent      connected items whose client completed a login within the activity window
    ///               (catalog.activity_window_days, 30 days by default);
    ///   rate        connected ÷ items;
    ///   target      "met" or "below" the target rate (catalog.target_rate, 90% by default).
    #[command(verbatim_doc_comment)]
    ConnectionRate {
        /// department, level, type, audience, theme or vertical.
        #[arg(long)]
        by: Option<String>,
        /// table, csv or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// Record today's snapshot of the rate now (the server refreshes it every ten minutes).
    Snapshot,
}

pub async fn run(command: ReportCommand, services: &Services) -> anyhow::Result<()> {
    match command {
        ReportCommand::ConnectionRate { by, format } => {
            let dimension = by
                .map(|by| {
                    Dimension::parse(&by)
                        .ok_or_else(|| anyhow!("--by must be department, level, type, audience, theme or vertical"))
                })
                .transpose()?;
            let dimensions: Vec<Dimension> = dimension.into_iter().collect();
            let report = services.reports.report(&ItemFilter::default(), &dimensions).await?;
            let lines: Vec<&Line> = match dimension {
                Some(dimension) => report.breakdowns.get(&dimension).into_iter().flatten().collect(),
                None => vec![&report.overall],
            };
            match format.as_str() {
                "table" => match print_table(&report, &lines) {
                    // A reader that stops early (`| head`) is not an error.
                    Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
                    other => other?,
                },
                "csv" => print_csv(&lines)?,
                "json" => {
                    let mut value = serde_json::to_value(&report)?;
                    value["usage"] = serde_json::to_value(services.reports.usage().await?)?;
                    super::print_json(&value);
                }
                _ => return Err(anyhow!("--format must be table, csv or json")),
            }
            Ok(())
        }
        ReportCommand::Snapshot => {
            let day = services.reports.record_snapshot().await?;
            println!("snapshot recorded for {day}");
            Ok(())
        }
    }
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// `text` padded to `width` terminal columns (Chinese characters take two).
fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

fn print_table(report: &Report, lines: &[&Line]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "connection rate {} (target {}), {} of {} active items connected",
        percent(report.overall.rate),
        percent(Some(report.target)),
        report.overall.counts.connected,
        report.overall.counts.active_items
    )?;
    writeln!(
        out,
        "{} {:>8} {:>10} {:>9} {:>8} {:>8}  target",
        pad("", 28),
        "items",
        "registered",
        "connected",
        "recent",
        "rate"
    )?;
    for line in lines {
        writeln!(
            out,
            "{} {:>8} {:>10} {:>9} {:>8} {:>8}  {}",
            pad(&line.label, 28),
            line.counts.active_items,
            line.counts.registered,
            line.counts.connected,
            line.counts.recently_used,
            percent(line.rate),
            if line.meets_target { "met" } else { "below" }
        )?;
    }
    Ok(())
}

fn print_csv(lines: &[&Line]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(std::io::stdout());
    crate::spreadsheet::write_row(
        &mut writer,
        ["key", "label", "active_items", "registered", "connected", "recently_used", "rate", "meets_target"],
    )?;
    for line in lines {
        crate::spreadsheet::write_row(
            &mut writer,
            [
                line.key.clone(),
                line.label.clone(),
                line.counts.active_items.to_string(),
                line.counts.registered.to_string(),
                line.counts.connected.to_string(),
                line.counts.recently_used.to_string(),
                line.rate.map(|r| format!("{r:.4}")).unwrap_or_default(),
                line.meets_target.to_string(),
            ],
        )?;
    }
    writer.flush()?;
    Ok(())
}
