//! The chart of a run (one panel per run when comparing): tasks on the left axis
//! (needed, MinCapacity, desired, running), messages on the right (arrivals a minute,
//! backlog), wakes and sleeps marked. SVG, so it is readable in a browser and a diff.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use sluice_sim::compare::Contest;
use sluice_sim::{Changed, Kind, Minute};

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
    ("waiting (right)", RGBColor(208, 2, 27), |m| {
        m.visible as f64
    }),
];

const TASK_LINES: [Line; 4] = [
    ("needed (clairvoyant)", RGBColor(155, 155, 155), 2, |m| {
        m.needed
    }),
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
        .map(|m| f64::from(m.arrivals).max(m.visible as f64))
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
    if scales_on_cpu(&outcome.scenario.target.scaling) {
        draw_busy(&mut chart, minutes, tasks_max)?;
    }
    draw_legend(&mut chart)
}

/// Whether a policy or rule of the target reads the tasks' CPU, which the model takes
/// as their busy share.
fn scales_on_cpu(scaling: &sluice_core::scaling::Scaling) -> bool {
    scaling.cpu_utilization.is_some()
        || scaling
            .step_rules
            .iter()
            .any(|r| r.namespace == "AWS/ECS" && r.metric == "CPUUtilization")
}

/// The tasks' busy share (their CPU, as the model has it), dashed, 100 % at the top
/// of the tasks axis.
fn draw_busy(chart: &mut Chart<'_, '_>, minutes: &[Minute], tasks_max: f64) -> Result<(), Failure> {
    let color = RGBColor(144, 19, 254);
    let points: Vec<(f64, f64)> = minutes
        .iter()
        .filter_map(|m| Some((hour(m), m.busy_percent? / 100.0 * tasks_max)))
        .collect();
    chart
        .draw_series(DashedLineSeries::new(points, 6, 4, color.stroke_width(1)))?
        .label("CPU, busy share (100 % at the top)")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color));
    Ok(())
}

/// The legend of a panel, top left.
fn draw_legend<'a>(chart: &mut Chart<'a, 'a>) -> Result<(), Failure> {
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

/// The most points a line of the overlay draws: longer runs are averaged into
/// buckets, so a fortnight's chart stays small enough to read in a browser.
const OVERLAY_POINTS: usize = 1500;

/// Colours of the controllers' lines, in the contest's order, and the limit's.
const OVERLAY_COLOURS: [RGBColor; 6] = [
    RGBColor(0, 40, 120),
    RGBColor(245, 166, 35),
    RGBColor(208, 2, 27),
    RGBColor(65, 117, 5),
    RGBColor(144, 19, 254),
    RGBColor(80, 227, 194),
];
const LIMIT_COLOUR: RGBColor = RGBColor(155, 155, 155);

/// A line of the overlay: its label, colour and (hour, tasks) points.
type OverlayLine = (String, RGBColor, Vec<(f64, f64)>);

/// One chart of a contest: the running tasks of each controller and the clairvoyant
/// schedule over time, on one axis.
pub fn overlay(title: &str, contest: &Contest) -> Result<String> {
    let Some(first) = contest.entries.first() else {
        return Err(anyhow!("chart: no runs"));
    };
    // `sluice (direct)` runs within a few percent of `sluice`: its line would hide it.
    let mut lines: Vec<OverlayLine> = contest
        .entries
        .iter()
        .filter(|entry| entry.controller != Kind::SluiceDirect)
        .zip(OVERLAY_COLOURS.iter().cycle())
        .map(|(entry, colour)| {
            let series = buckets(&entry.run.minutes, |m| f64::from(m.running));
            (entry.label(), *colour, series)
        })
        .collect();
    let needed = buckets(&first.run.minutes, |m| f64::from(m.needed));
    lines.push(("clairvoyant limit".to_owned(), LIMIT_COLOUR, needed));
    let hours = first.run.minutes.len().max(1) as f64 / 60.0;
    let top = lines
        .iter()
        .flat_map(|(_, _, points)| points.iter().map(|(_, y)| *y))
        .fold(1.0, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, PANEL_HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("chart: {e}"))?;
        draw_overlay(&root, title, hours, top, &lines).map_err(|e| anyhow!("chart: {e}"))?;
        root.present().map_err(|e| anyhow!("chart: {e}"))?;
    }
    Ok(svg)
}

fn draw_overlay(
    panel: &Panel<'_>,
    title: &str,
    hours: f64,
    top: f64,
    lines: &[OverlayLine],
) -> Result<(), Failure> {
    let mut chart = ChartBuilder::on(panel)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..hours, 0f64..top)?;
    chart
        .configure_mesh()
        .x_desc("hours from the start")
        .y_desc("tasks running")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (label, colour, points) in lines {
        let colour = *colour;
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    draw_legend(&mut chart)
}

/// (hour, value) points, averaged over buckets of minutes when there are more than
/// [`OVERLAY_POINTS`].
fn buckets(minutes: &[Minute], value: impl Fn(&Minute) -> f64) -> Vec<(f64, f64)> {
    let size = minutes.len().div_ceil(OVERLAY_POINTS).max(1);
    minutes
        .chunks(size)
        .map(|chunk| {
            let mean = chunk.iter().map(&value).sum::<f64>() / chunk.len() as f64;
            (hour(&chunk[0]), mean)
        })
        .collect()
}
