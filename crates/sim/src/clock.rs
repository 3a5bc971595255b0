use std::time::Duration;

/// Scales the simulator's waits: with a time scale of 100, an hour of retry schedule plays
/// in 36 seconds. Timestamps stay real (wall-clock at emission).
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    scale: f64,
}

impl Clock {
    pub fn new(scale: f64) -> Self {
        Self { scale: if scale.is_finite() && scale > 0.0 { scale } else { 1.0 } }
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The real time a simulated wait takes.
    pub fn real(&self, simulated: Duration) -> Duration {
        simulated.div_f64(self.scale)
    }

    pub async fn sleep(&self, simulated: Duration) {
        tokio::time::sleep(self.real(simulated)).await;
    }
}
