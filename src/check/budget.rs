//! The budgets of `crate::limits`, checked before anything runs: the memory a run block
//! needs at its peak (its runs, the copies `compare` and `sweep` train at once, and the
//! data sets the session holds), and its work in floating-point operations. A block over
//! either is refused with the estimate, the part that dominates and what to change.

use std::collections::HashSet;
use std::rc::Rc;

use super::env::{Entry, Env};
use super::network::LayerOrigin;
use super::plan::RunPlan;
use super::value::{Data, Value};
use crate::diagnostics::{Diagnostic, ErrorKind, Span};
use crate::engine::{self, Dataset, LayerSpec, MemoryEstimate, MemoryPart, OptimizerSpec};
use crate::format::{bytes, grouped};
use crate::syntax::ast::RunKind;

/// What gradlab holds before any run: its code, its threads' stacks and the allocator's
/// pools (14 MB measured for `print 1`).
const PROCESS: u64 = 16 << 20;

/// Bytes a data set's values take in the session (f64 inputs and targets).
fn data_bytes(set: &Dataset) -> u64 {
    (set.x.len() + set.y.len()) as u64 * 8
}

/// The data sets the session holds, each counted once however many names it has.
fn held_data(env: &Env) -> u64 {
    let mut seen: HashSet<*const Data> = HashSet::new();
    let mut total = 0;
    for binding in env.names().values() {
        let data = match &binding.entry {
            Entry::Data(data) | Entry::Let(Value::Data(data)) => data,
            _ => continue,
        };
        if seen.insert(Rc::as_ptr(data)) {
            total += data_bytes(&data.set);
        }
    }
    total
}

/// `set`, declared at `span`, fits beside the data sets the session already holds.
pub fn check_data(set: &Dataset, span: Span, env: &Env) -> Result<(), Diagnostic> {
    let held = held_data(env);
    let needed = PROCESS + held + data_bytes(set);
    let limit = env.limits.max_memory;
    if needed <= limit {
        return Ok(());
    }
    Err(Diagnostic::error(format!(
        "with this data set, gradlab would hold {}, more than the {} memory limit",
        bytes(needed),
        bytes(limit)
    ))
    .with_kind(ErrorKind::TooLarge)
    .with_label(span, format!("this one holds {}", bytes(data_bytes(set))))
    .with_note(format!(
        "the data sets declared before it hold {}",
        bytes(held)
    ))
    .with_help(format!(
        "use fewer rows, or raise the limit: --max-memory {}",
        raised_memory(needed)
    )))
}

/// Printing `value`, written at `span`, fits the memory budget: each `forward(…)` in it
/// builds its network's parameters and runs its rows through it.
pub fn check_printed(value: &Value, span: Span, env: &Env) -> Result<(), Diagnostic> {
    match value {
        Value::List(items) => items
            .iter()
            .try_for_each(|item| check_printed(item, span, env)),
        Value::Forward(forward) => {
            let rows = Dataset {
                n: forward.rows.len(),
                x_dim: forward.net.input,
                y_dim: 0,
                x: Vec::new(),
                y: Vec::new(),
            };
            let sgd = OptimizerSpec::sgd(0.0);
            let memory =
                engine::memory_estimate(&forward.net, &rows, None, &sgd, forward.precision);
            let needed = PROCESS + held_data(env) + memory.total();
            if needed <= env.limits.max_memory {
                return Ok(());
            }
            let (part, part_bytes) = memory.largest();
            Err(Diagnostic::error(format!(
                "`forward` needs about {} of memory, more than the {} limit",
                bytes(needed),
                bytes(env.limits.max_memory)
            ))
            .with_kind(ErrorKind::TooLarge)
            .with_label(span, format!("needs about {}", bytes(needed)))
            .with_note(format!("most of it is {part}: {}", bytes(part_bytes)))
            .with_help(format!(
                "{}, or raise the limit: --max-memory {}",
                fix_for(part),
                raised_memory(needed)
            )))
        }
        _ => Ok(()),
    }
}

/// The block `plan` (a `train`, `explain` or `compare` with its variants) fits the
/// budgets.
pub fn check_run(plan: &RunPlan, env: &Env) -> Result<(), Diagnostic> {
    let mut runs = Runs::new(
        env,
        plan.keyword,
        plan.kind.keyword(),
        1 + plan.variants.len(),
    );
    runs.add(plan)?;
    for variant in &plan.variants {
        runs.add(&variant.plan)?;
    }
    Ok(())
}

/// Every run of a block, added up as the checker builds them, so that a sweep too
/// large to plan is refused before its plans fill the memory.
pub struct Runs {
    keyword: Span,
    kind: &'static str,
    limits: crate::limits::Limits,
    held_data: u64,
    /// How many runs the block makes; `count` of them are added so far.
    planned: usize,
    count: usize,
    steps: u64,
    work: f64,
    /// What the checked plans themselves hold (a sweep keeps one per grid point).
    plans: u64,
    /// The run that needs the most memory of those that train alone (their products
    /// already keep every core busy).
    alone: Option<MemoryEstimate>,
    /// The largest estimates of the runs trained side by side, at most one per thread.
    side_by_side: Vec<MemoryEstimate>,
}

impl Runs {
    /// The `planned` runs of the block whose keyword (`train`, `sweep`, …) is `kind`, at
    /// `keyword`.
    pub fn new(env: &Env, keyword: Span, kind: &'static str, planned: usize) -> Self {
        Runs {
            keyword,
            kind,
            limits: env.limits,
            held_data: held_data(env),
            planned,
            count: 0,
            steps: 0,
            work: 0.0,
            plans: 0,
            alone: None,
            side_by_side: Vec::new(),
        }
    }

    /// Adds one run, and refuses it if the block no longer fits.
    pub fn add(&mut self, plan: &RunPlan) -> Result<(), Diagnostic> {
        let net = &plan.net.spec;
        let data = &plan.data.set;
        let rows = plan.batch.map_or(data.n, |b| b.min(data.n));
        let (steps, optimizer) = match plan.kind {
            // One forward and backward pass over the data, with no optimizer.
            RunKind::Explain => (1, OptimizerSpec::sgd(0.0)),
            _ => (
                engine::run_steps(plan.stop, data.n, plan.batch),
                plan.optimizer,
            ),
        };
        let batch = if plan.kind == RunKind::Explain {
            None
        } else {
            plan.batch
        };
        let memory = engine::memory_estimate(net, data, batch, &optimizer, plan.precision);
        self.count += 1;
        self.steps = self.steps.saturating_add(steps);
        self.work += steps as f64 * engine::step_work(net, rows);
        self.plans += (size_of::<RunPlan>()
            + net.layers.len() * (size_of::<LayerSpec>() + size_of::<LayerOrigin>()))
            as u64;
        if engine::uses_all_cores(net, rows) {
            if self.alone.is_none_or(|a| a.total() < memory.total()) {
                self.alone = Some(memory);
            }
        } else {
            self.side_by_side.push(memory);
            self.side_by_side
                .sort_by_key(|m| std::cmp::Reverse(m.total()));
            self.side_by_side.truncate(self.limits.parallel_runs);
        }
        self.check_memory()?;
        self.check_work()
    }

    /// The most memory held at once: gradlab itself, the data sets, the plans, and either the largest
    /// run that trains alone or the largest runs trained side by side.
    fn peak(&self) -> (u64, Option<MemoryEstimate>, usize) {
        let together: u64 = self.side_by_side.iter().map(MemoryEstimate::total).sum();
        let alone = self.alone.map_or(0, |a| a.total());
        let (runs, largest, at_once) = if alone >= together {
            (alone, self.alone, 1)
        } else {
            (
                together,
                self.side_by_side.first().copied(),
                self.side_by_side.len(),
            )
        };
        (
            PROCESS + self.held_data + self.plans + runs,
            largest,
            at_once,
        )
    }

    fn check_memory(&self) -> Result<(), Diagnostic> {
        let (needed, largest, at_once) = self.peak();
        let limit = self.limits.max_memory;
        if needed <= limit {
            return Ok(());
        }
        let mut error = Diagnostic::error(format!(
            "`{}` needs about {} of memory{}, more than the {} limit",
            self.kind,
            bytes(needed),
            self.so_far(),
            bytes(limit)
        ))
        .with_kind(ErrorKind::TooLarge)
        .with_label(self.keyword, format!("needs about {}", bytes(needed)));
        let mut parts: Vec<(u64, String, &str)> = vec![
            (
                self.held_data,
                "the data sets the script declares".into(),
                "use fewer or smaller data sets",
            ),
            (
                self.plans,
                format!("the plans of its {} runs", grouped(self.count as u64)),
                "use fewer grid points or shallower networks",
            ),
        ];
        if let Some(run) = largest {
            let (part, part_bytes) = run.largest();
            let each = if at_once > 1 {
                format!(" in each of the {at_once} runs trained at once")
            } else {
                String::new()
            };
            parts.push((
                part_bytes * at_once as u64,
                format!("{part}{each}"),
                fix_for(part),
            ));
        }
        let (part_bytes, part, fix) = parts
            .into_iter()
            .max_by_key(|(b, _, _)| *b)
            .expect("three parts");
        error = error
            .with_note(format!("most of it is {part}: {}", bytes(part_bytes)))
            .with_help(format!(
                "{fix}, or raise the limit: --max-memory {}{}",
                raised_memory(needed - self.plans + self.whole(self.plans as f64) as u64),
                self.at_least()
            ));
        Err(error)
    }

    /// `part`, of the runs added so far, scaled to all the block's runs: what a limit must
    /// admit for the block to be planned in full.
    fn whole(&self, part: f64) -> f64 {
        part * self.planned as f64 / self.count.max(1) as f64
    }

    /// A raised limit scaled from part of the block is a guess: deeper grid points later
    /// may need more.
    fn at_least(&self) -> &'static str {
        if self.count < self.planned {
            " at least"
        } else {
            ""
        }
    }

    /// While runs of the block are still to be added, the estimate is a lower bound: it
    /// says so, and planning stops there.
    fn so_far(&self) -> String {
        if self.count < self.planned {
            format!(" in its first {} runs alone", grouped(self.count as u64))
        } else {
            String::new()
        }
    }

    fn check_work(&self) -> Result<(), Diagnostic> {
        let limit = self.limits.max_work;
        if self.work <= limit {
            return Ok(());
        }
        let what = if self.planned == 1 {
            format!("{} steps", grouped(self.steps))
        } else {
            format!(
                "{} runs, {} steps in the first {}",
                grouped(self.planned as u64),
                grouped(self.steps),
                grouped(self.count as u64)
            )
        };
        Err(Diagnostic::error(format!(
            "`{}` is too much work: about {:.2e} floating-point operations{}, more than the limit of {limit:e}",
            self.kind, self.work, self.so_far()
        ))
        .with_kind(ErrorKind::TooLarge)
        .with_label(self.keyword, what)
        .with_help(format!(
            "use fewer steps or epochs, a smaller network or fewer runs, or raise the limit: --max-work {}{}",
            rounded_up(self.whole(self.work)),
            self.at_least()
        )))
    }
}

/// What to change when `part` dominates a run's memory.
fn fix_for(part: MemoryPart) -> &'static str {
    match part {
        MemoryPart::Parameters => "use narrower or fewer layers",
        MemoryPart::Optimizer => "use `optimizer sgd`, which keeps no state without momentum",
        MemoryPart::Activations => "train on smaller batches, e.g. `batch 64`",
        MemoryPart::Data => "use fewer rows",
    }
}

/// A `--max-work` value just above `work`, with one significant digit: `3e16`.
fn rounded_up(work: f64) -> String {
    let exponent = work.log10().floor();
    let leading = (work / 10f64.powf(exponent)).ceil();
    if leading >= 10.0 {
        format!("1e{}", exponent + 1.0)
    } else {
        format!("{leading}e{exponent}")
    }
}

/// A `--max-memory` value that admits `needed`: the next whole GiB above it, or MiB
/// below one GiB.
fn raised_memory(needed: u64) -> String {
    if needed < 1 << 30 {
        format!("{}M", needed.div_ceil(1 << 20).max(1))
    } else {
        format!("{}G", needed.div_ceil(1 << 30))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Redeclare, check};
    use super::*;
    use crate::limits::Limits;
    use crate::syntax;

    /// The first error checking `script` gives under `limits`.
    fn refusal(script: &str, limits: Limits) -> Option<Diagnostic> {
        let mut env = Env::default();
        env.limits = limits;
        let program = syntax::parse(script, 0).program.expect("a program");
        check(&program, &mut env, Redeclare::Error)
            .diagnostics
            .into_iter()
            .find(Diagnostic::is_error)
    }

    const COMPARE: &str = "
        network n { input 1 dense 64 relu dense 1 linear }
        data d = linear(100)
        compare n on d { variant clip_norm(1) variant clip_norm(2) variant clip_norm(3) }
    ";

    fn limits(max_memory: u64, parallel_runs: usize) -> Limits {
        Limits {
            max_memory,
            max_work: 1e15,
            parallel_runs,
        }
    }

    #[test]
    fn compare_holds_one_run_per_thread_at_once() {
        // Each run of COMPARE needs about 130 KB: its activations for the 100-row batch
        // (100 × (4 × 65 + 2) × 4 bytes), its parameters and its copies of the data. Its
        // products are small, so its runs train side by side.
        let data = 100 * 2 * 8;
        let one = engine::memory_estimate(
            &engine::NetSpec::new(
                1,
                vec![
                    engine::LayerSpec::dense(64, engine::Activation::Relu),
                    engine::LayerSpec::dense(1, engine::Activation::Linear),
                ],
            ),
            &engine::data::linear(100, 0.1, 0),
            None,
            &OptimizerSpec::sgd(0.01),
            engine::Precision::F32,
        )
        .total();
        let plans = 4
            * (size_of::<RunPlan>() + 2 * (size_of::<LayerSpec>() + size_of::<LayerOrigin>()))
                as u64;
        let fits = |runs_at_once: u64| PROCESS + data + plans + runs_at_once * one;
        // One thread: one run at a time, whatever the number of variants.
        assert!(refusal(COMPARE, limits(fits(1), 1)).is_none());
        let error = refusal(COMPARE, limits(fits(1) - 1, 1)).expect("refused");
        assert!(error.message.contains("needs about"), "{}", error.message);
        // Two threads: two runs at once, and never more than the four it has.
        assert!(refusal(COMPARE, limits(fits(2) - 1, 2)).is_some());
        assert!(refusal(COMPARE, limits(fits(2), 2)).is_none());
        assert!(refusal(COMPARE, limits(fits(4), 16)).is_none());
        let error = refusal(COMPARE, limits(fits(4) - 1, 16)).expect("refused");
        assert!(
            error.notes[0].contains("in each of the 4 runs trained at once"),
            "{:?}",
            error.notes
        );
    }

    #[test]
    fn a_large_run_counts_alone() {
        // 2048-wide products keep every core busy: such runs train one at a time.
        let script = "
            network n { input 1 dense 2048 relu dense 2048 relu dense 1 linear }
            data d = linear(64)
            compare n on d { variant clip_norm(1) variant clip_norm(2) }
        ";
        let error = refusal(script, limits(80 << 20, 8)).expect("refused");
        assert!(
            error.notes[0].starts_with("most of it is parameters"),
            "{:?}",
            error.notes
        );
        let alone = refusal(script, limits(112 << 20, 8));
        assert!(alone.is_none(), "{alone:?}");
    }

    #[test]
    fn explain_is_one_pass_without_optimizer_state() {
        let script = "
            network n { input 1 dense 1024 relu dense 1024 relu dense 1 linear }
            data d = linear(16)
            explain n on d { optimizer adam(0.1) steps 10000000 }
        ";
        let error = refusal(
            script,
            Limits {
                max_work: 1e9,
                ..limits(1 << 30, 1)
            },
        );
        assert!(error.is_none(), "{error:?}");
    }

    #[test]
    fn sizes_and_work_read_back() {
        assert_eq!(raised_memory(13 << 20), "13M");
        assert_eq!(raised_memory((13 << 20) + 1), "14M");
        assert_eq!(raised_memory(3 << 30), "3G");
        assert_eq!(rounded_up(2.18e16), "3e16");
        assert_eq!(rounded_up(9.5e15), "1e16");
        assert_eq!(rounded_up(1e15), "1e15");
    }
}
