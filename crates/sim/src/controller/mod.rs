//! What decides the service's size in a run: Sluice's loop as the target configures
//! it, or one of the peers it is measured against, each modelled from its own
//! documentation. Every controller sees what its real counterpart could read, when it
//! could read it, and pulls only the levers it has.

mod aws_recipe;
mod keda;
mod sluice;

use serde::{Deserialize, Serialize};
use sluice_core::config::ScaleToZero;

use crate::Scenario;
use crate::cloudwatch::CloudWatch;
use crate::levers::{Levers, View};

pub use aws_recipe::AwsRecipe;
pub use keda::KedaHpa;
pub use sluice::SluiceLoop;

/// A controller, called at every tick before ECS acts on desiredCount.
pub trait Controller {
    /// desiredCount and the bounds at the start of a run with `initial` warm tasks.
    fn levers(&self, initial: u32) -> Levers;
    /// Looks, publishes what it publishes, and pulls its levers.
    fn tick(&mut self, view: &View<'_>, cloudwatch: &mut CloudWatch, levers: &mut Levers);
}

/// The controllers a run can be made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Sluice as the target's configuration says.
    Sluice,
    /// The same target with `controller: direct`: Sluice sets desired every look
    /// under the HPA behaviour (the HPA's defaults unless the target names one).
    SluiceDirect,
    /// Sluice before the load model: target tracking on BacklogPerTask
    /// (`tracks: backlog-per-task`), and a sleep after five idle minutes whatever the
    /// start-up.
    SluiceBefore,
    /// AWS's documented SQS recipe: visible messages per running task, target tracking.
    AwsRecipe,
    /// KEDA's SQS scaler with the Kubernetes HPA's default behaviour.
    KedaHpa,
}

impl Kind {
    pub const PEERS: [Kind; 2] = [Kind::AwsRecipe, Kind::KedaHpa];
    /// Every controller, Sluice first.
    pub const ALL: [Kind; 5] = [
        Kind::Sluice,
        Kind::SluiceDirect,
        Kind::SluiceBefore,
        Kind::AwsRecipe,
        Kind::KedaHpa,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Sluice => "sluice",
            Kind::SluiceDirect => "sluice (direct)",
            Kind::SluiceBefore => "sluice before",
            Kind::AwsRecipe => "aws-recipe",
            Kind::KedaHpa => "keda-hpa",
        }
    }

    pub fn build(self, scenario: &Scenario) -> Box<dyn Controller> {
        match self {
            Kind::Sluice => Box::new(SluiceLoop::new(scenario)),
            Kind::SluiceDirect | Kind::SluiceBefore => {
                let mut variant = scenario.clone();
                let scaling = &mut variant.target.scaling;
                if self == Kind::SluiceDirect {
                    scaling.controller = sluice_core::scaling::Controller::Direct;
                } else {
                    scaling.tracks = sluice_core::scaling::Tracks::BacklogPerTask;
                    scaling.controller = sluice_core::scaling::Controller::Tracking;
                    scaling.behavior = None;
                    if let Some(zero) = &mut variant.target.scale_to_zero {
                        zero.idle_minutes = zero
                            .idle_minutes
                            .or(Some(ScaleToZero::AUTO_IDLE_MOST_MINUTES));
                    }
                }
                Box::new(SluiceLoop::new(&variant))
            }
            Kind::AwsRecipe => Box::new(AwsRecipe::new(&scenario.target)),
            Kind::KedaHpa => Box::new(KedaHpa::new(&scenario.target)),
        }
    }
}
