//! The chart of a run (one panel per run when comparing): tasks on the left axis
//! (needed, MinCapacity, desired, running), messages on the right (arrivals a minute,
//! backlog), wakes and sleeps marked. SVG, so it is readable in a browser and a diff.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use sluice_core::simulate::{Changed, Minute};

use super::Outcome;

const PANEL_HEIGHT: u32 = 380;
const WIDTH: u32 = 1100;

pub fn svg(outcomes: &[Outcome]) -> Result<String> {
    let mut svg = String::new();
    {
        let height = PANEL_HEIGHT * u32::try_from(outcomes.len().max(1)).unwrap_or(1);
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("chart: {e}"))?;
        let tasks_max = outcomes
            .iter()
            .flat_map(|o| &o.run.minutes)
            .map(|m| m.running.max(m.desired).max(m.needed).max(m.min_capacity))
            .max()
            .unwrap_or(1);
        let panels = root.split_evenly((outcomes.len().max(1), 1));
        for (panel, outcome) in panels.iter().zip(outcomes) {
            draw(panel, outcome, f64::from(tasks_max.max(1)) * 1.15)
                .map_err(|e| anyhow!("chart: {e}"))?;
        }
        root.present().map_err(|e| anyhow!("chart: {e}"))?;
    }
    Ok(svg)
}

type Panel<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;
type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;
type Failure = Box<dyn std::error::Error>;
/// A task series: its legend, colour, width and value.
type Line = (&'static str, RGBColor, u32, fn(&Minute) -> u32);
/// A message series (right axis): its legend, colour and value.
type MessageLine = (&'static str, RGBColor, fn(&Minute) -> f64);

const MESSAGE_LINES: [MessageLine; 2] = [
    ("arrivals a minute (right)", RGBColor(245, 166, 35), |m| {
        f64::from(m.arrivals)
    }),
    ("backlog (right)", RGBColor(208, 2, 27), |m| {
        (m.visible + m.in_flight) as f64
    }),
];

const TASK_LINES: [Line; 4] = [
    ("needed", RGBColor(155, 155, 155), 2, |m| m.needed),
    ("MinCapacity (profile)", RGBColor(65, 117, 5), 2, |m| {
        m.min_capacity
    }),
    ("desired", RGBColor(74, 144, 226), 2, |m| m.desired),
    ("running", RGBColor(0, 40, 120), 3, |m| m.running),
];

fn hour(m: &Minute) -> f64 {
    f64::from(m.minute) / 60.0
}

fn draw(panel: &Panel<'_>, outcome: &Outcome, tasks_max: f64) -> Result<(), Failure> {
    let minutes = &outcome.run.minutes;
    let hours = (minutes.len().max(1) as f64) / 60.0;
    let messages_max = minutes
        .iter()
        .map(|m| f64::from(m.arrivals).max((m.visible + m.in_flight) as f64))
        .fold(1.0, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(panel)
        .caption(&outcome.label, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0f64..hours, 0f64..tasks_max)?
        .set_secondary_coord(0f64..hours, 0f64..messages_max);
    chart
        .configure_mesh()
        .x_desc("hours from the start")
        .y_desc("tasks")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart
        .configure_secondary_axes()
        .y_desc("messages (a minute, waiting)")
        .draw()?;
    for (name, color, value) in MESSAGE_LINES {
        chart
            .draw_secondary_series(LineSeries::new(
                minutes.iter().map(|m| (hour(m), value(m))),
                color.stroke_width(2),
            ))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
    }
    draw_tasks(&mut chart, minutes)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()?;
    Ok(())
}

/// The task lines, and a marker at each wake (green) and sleep (magenta).
fn draw_tasks(chart: &mut Chart<'_, '_>, minutes: &[Minute]) -> Result<(), Failure> {
    for (name, color, width, value) in TASK_LINES {
        chart
            .draw_series(LineSeries::new(
                minutes.iter().map(|m| (hour(m), f64::from(value(m)))),
                color.stroke_width(width),
            ))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new([(x, y), (x + 18, y)], color.stroke_width(width))
            });
    }
    let marks = minutes.iter().flat_map(|m| {
        m.changes.iter().filter_map(move |c| match c {
            Changed::Woke { to, .. } => Some((hour(m), f64::from(*to), GREEN)),
            Changed::Slept { .. } => Some((hour(m), 0.0, MAGENTA)),
            Changed::ScaledIn { to: 0, .. } => Some((hour(m), 0.0, MAGENTA)),
            _ => None,
        })
    });
    chart
        .draw_series(marks.map(|(x, y, color)| TriangleMarker::new((x, y), 6, color.filled())))?
        .label("wake / to zero")
        .legend(|(x, y)| TriangleMarker::new((x + 9, y), 5, GREEN.filled()));
    Ok(())
}
