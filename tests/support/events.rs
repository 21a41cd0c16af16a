//! Running the engine and sorting what it reports, for the engine's own tests.

use gradlab::engine::{
    Control, DiagnosticEvent, Event, StepRecord, TrainSpec, TrainSummary, train,
};

/// Trains `spec`, keeping every event.
pub fn train_events(spec: &TrainSpec) -> (Vec<Event>, TrainSummary) {
    let mut events = Vec::new();
    let summary = train(spec, &mut |e| {
        events.push(e.clone());
        Control::Continue
    })
    .unwrap();
    (events, summary)
}

/// Trains `spec`, keeping the step records only.
pub fn train_steps(spec: &TrainSpec) -> (Vec<StepRecord>, TrainSummary) {
    let (events, summary) = train_events(spec);
    let records = steps(&events).into_iter().cloned().collect();
    (records, summary)
}

pub fn steps(events: &[Event]) -> Vec<&StepRecord> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Step(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub fn diags(events: &[Event]) -> Vec<&DiagnosticEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Diagnostic(d) => Some(d),
            _ => None,
        })
        .collect()
}
