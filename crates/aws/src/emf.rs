/// Where CloudWatch Embedded Metric Format lines go. In Lambda that is standard
/// output, from which CloudWatch Logs extracts the metrics.
pub trait EmfLog: Send + Sync {
    fn emit(&self, line: &str);
}

/// Writes EMF lines to standard output, bypassing the tracing formatter so each line
/// stays the bare JSON object CloudWatch Logs looks for.
pub struct StdoutEmf;

impl EmfLog for StdoutEmf {
    fn emit(&self, line: &str) {
        println!("{line}");
    }
}
