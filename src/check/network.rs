//! Networks: checking a reference like `chain(depth = 5)` and instantiating a
//! declaration into the engine's flat layer list, remembering which line of the
//! script each layer came from.

use std::cell::Cell;

use super::args::{Bound, bind, check_number, no_arguments};
use super::bare_word;
use super::env::{Entry, Env};
use super::eval::{Building, Scope, eval};
use super::init;
use super::loaded::load;
use super::value::{NetArg, NetRef, Spec, SpecArg, Value, Weights};
use crate::diagnostics::{Diagnostic, ErrorKind, LabelText, Span};
use crate::engine::{Activation, BiasSpec, LayerSpec, NetSpec, Residual, WeightSpec};
use crate::format::plural;
use crate::signature::{
    self as sig, ActivationName, Choice, Family, InitName, Kind, LAYER_ATTRS, LayerAttr,
    did_you_mean,
};
use crate::syntax::ast::{Attr, ExprKind, Layer, LayerKind, NetworkDecl};

/// No network may have more dense layers than this after `repeat`s are expanded.
pub const MAX_LAYERS: usize = 10_000;
/// No layer may be wider than this.
pub const MAX_WIDTH: usize = 1 << 16;
/// Instantiating one network may instantiate at most this many (itself included):
/// a default or a layer that calls `forward` of another network instantiates that one
/// each time, so a chain of them that each call the previous one twice is exponential.
pub const MAX_INSTANCES: usize = 256;

/// Where a layer of an instantiated network came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerOrigin {
    /// The `dense …` line.
    pub span: Span,
    /// The outermost `repeat` around it, which is what a reader changes to fix depth.
    pub repeat: Option<Span>,
    /// The init scheme given on the layer, as written, for reports.
    pub init: Option<Spec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub spec: NetSpec,
    /// Indexed by `LayerSpec::origin`.
    pub origins: Vec<LayerOrigin>,
    pub input_span: Span,
    pub decl_span: Span,
    /// The parameter values this instance was built with.
    pub params: Vec<(String, Value)>,
    /// Trained or loaded parameters that replace the seeded ones.
    pub weights: Option<Weights>,
}

/// Checks the arguments of `name(args)` against the network's parameters.
pub fn net_ref(
    decl: &NetworkDecl,
    name: &str,
    args: Vec<SpecArg>,
    span: Span,
) -> Result<Value, Diagnostic> {
    let mut bound: Vec<NetArg> = Vec::new();
    let mut seen_named = false;
    for (position, arg) in args.into_iter().enumerate() {
        let param = match &arg.name {
            Some(n) => {
                seen_named = true;
                match decl.params.iter().find(|p| &p.name.name == n) {
                    Some(p) => p,
                    None => {
                        let mut d =
                            Diagnostic::error(format!("network `{name}` has no parameter `{n}`"))
                                .with_kind(ErrorKind::UnknownParameter)
                                .with_label(arg.span, "unknown parameter")
                                .with_label(decl.name.span, "network declared here");
                        if let Some(best) =
                            did_you_mean(n, decl.params.iter().map(|p| p.name.name.as_str()))
                        {
                            d = d.with_help(format!("did you mean `{best}`?"));
                        } else if decl.params.is_empty() {
                            d = d.with_help(format!(
                                "give `{name}` parameters to vary it: `network {name}(depth = 3) {{ … }}`"
                            ));
                        }
                        return Err(d);
                    }
                }
            }
            None if seen_named => {
                return Err(Diagnostic::error("positional argument after a named one")
                    .with_label(arg.span, "this argument has no name"));
            }
            None => match decl.params.get(position) {
                Some(p) => p,
                None => {
                    return Err(Diagnostic::error(format!(
                        "network `{name}` takes {} parameter{}, found more",
                        decl.params.len(),
                        plural(decl.params.len())
                    ))
                    .with_label(arg.span, "one too many")
                    .with_label(decl.name.span, "network declared here"));
                }
            },
        };
        if bound.iter().any(|a| a.name == param.name.name) {
            return Err(
                Diagnostic::error(format!("`{}` is given twice", param.name.name))
                    .with_label(arg.span, "given again here"),
            );
        }
        bound.push(NetArg {
            name: param.name.name.clone(),
            value: arg.value,
            span: arg.span,
            written: arg.written,
        });
    }
    Ok(Value::Network(NetRef {
        name: name.to_string(),
        args: bound,
        span,
        weights: None,
    }))
}

/// Builds the engine's layer list for `net`, checking every layer.
pub fn instantiate(net: &NetRef, env: &Env) -> Result<Instance, Diagnostic> {
    instantiate_within(net, env, None)
}

/// `instantiate`, with every independent mistake of the network's layers: a bad
/// activation or attribute does not hide the next layer's.
pub fn instantiate_all(net: &NetRef, env: &Env) -> Result<Instance, Vec<Diagnostic>> {
    let mut found = Vec::new();
    match build(net, env, None, &mut found) {
        Ok(instance) if found.is_empty() => Ok(instance),
        Ok(_) => Err(found),
        Err(error) => {
            found.push(error);
            Err(found)
        }
    }
}

/// `instantiate`, from an expression evaluated while the networks of `building` are
/// being instantiated: using one of them again is a cycle, refused.
pub fn instantiate_within(
    net: &NetRef,
    env: &Env,
    building: Option<&Building>,
) -> Result<Instance, Diagnostic> {
    let mut found = Vec::new();
    let instance = build(net, env, building, &mut found)?;
    match found.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(instance),
    }
}

/// `net` instantiated. A mistake that leaves the layers' widths known is added to
/// `found` and checking goes on; any other is returned.
fn build(
    net: &NetRef,
    env: &Env,
    building: Option<&Building>,
    found: &mut Vec<Diagnostic>,
) -> Result<Instance, Diagnostic> {
    if let Some(cycle) = Building::find(building, &net.name) {
        return Err(uses_itself(net, cycle, env));
    }
    let outermost = Cell::new(0);
    let instances = building.map_or(&outermost, |b| b.instances);
    instances.set(instances.get() + 1);
    if instances.get() > MAX_INSTANCES {
        return Err(too_many_instances(net, building, env));
    }
    let decl = match env.get(&net.name).map(|b| &b.entry) {
        Some(Entry::Network(decl)) => decl.clone(),
        _ => {
            return Err(
                Diagnostic::error(format!("`{}` is not a network", net.name))
                    .with_label(net.span, "expected a network here"),
            );
        }
    };
    // Defaults may refer to earlier parameters: `network n(width = 4, last = width)`.
    let mut locals: Vec<(String, Value)> = Vec::new();
    for param in &decl.params {
        let value = match net.args.iter().find(|a| a.name == param.name.name) {
            Some(arg) => arg.value.clone(),
            None => {
                let here = Building {
                    name: &net.name,
                    part: Cell::new(param.default.span),
                    outer: building,
                    instances,
                };
                let scope = Scope {
                    env,
                    locals: &locals,
                    building: Some(&here),
                };
                eval(&param.default, &scope)?
            }
        };
        locals.push((param.name.name.clone(), value));
    }

    let mut builder = Builder {
        env,
        locals: &locals,
        args: &net.args,
        input: None,
        layers: Vec::new(),
        origins: Vec::new(),
        residuals: Vec::new(),
        net_name: &net.name,
        found,
        here: Building {
            name: &net.name,
            part: Cell::new(decl.name.span),
            outer: building,
            instances,
        },
    };
    builder.layers_of(&decl.body, None)?;
    let decl_span = decl.name.span;
    let Some((input, input_span)) = builder.input else {
        return Err(
            Diagnostic::error(format!("network `{}` has no `input` line", net.name))
                .with_label(decl_span, "this network")
                .with_help("start the network with its input width: `input 2`"),
        );
    };
    if builder.layers.is_empty() {
        return Err(
            Diagnostic::error(format!("network `{}` has no layers", net.name))
                .with_label(decl_span, "this network")
                .with_help("add a layer: `dense 1 linear`"),
        );
    }
    let Builder {
        layers,
        origins,
        residuals,
        ..
    } = builder;
    let spec = NetSpec {
        input,
        layers,
        residuals,
    };
    let weights = match (&net.weights, &decl.from) {
        (Some(weights), _) => Some(weights.clone()),
        (None, Some(from)) => {
            let path = match eval(from, &Scope::global(env))? {
                Value::Str(path) => path,
                other => {
                    return Err(Diagnostic::error(format!(
                        "`from` needs a file name, found a {}",
                        other.type_name()
                    ))
                    .with_label(from.span, "not a string")
                    .with_help("network net from \"model.safetensors\" { … }"));
                }
            };
            Some(load(
                &net.name,
                &path,
                from.span,
                decl.name.span,
                &spec,
                env,
            )?)
        }
        (None, None) => None,
    };
    Ok(Instance {
        name: net.name.clone(),
        spec,
        origins,
        input_span,
        decl_span,
        params: locals,
        weights,
    })
}

/// A network used again while it is being instantiated: in its own parameter's
/// default, or in one of its layers.
fn uses_itself(net: &NetRef, cycle: &Building, env: &Env) -> Diagnostic {
    let mut d = Diagnostic::error(format!("network `{}` uses itself", net.name))
        .with_kind(ErrorKind::InvalidValue)
        .with_label(net.span, "used here while it is being built")
        .with_label(cycle.part.get(), "in this part of the network");
    if let Some(binding) = env.get(&net.name) {
        d = d.with_label(binding.span, "the network is declared here");
    }
    d.with_help("a network's defaults and layers cannot depend on the network itself")
}

/// Points at the use that passed `MAX_INSTANCES` and at the declaration of the
/// outermost network, whose instantiation it was part of.
fn too_many_instances(net: &NetRef, building: Option<&Building>, env: &Env) -> Diagnostic {
    let outermost = std::iter::successors(building, |b| b.outer)
        .last()
        .map_or(net.name.as_str(), |b| b.name);
    let mut d = Diagnostic::error(format!(
        "building network `{outermost}` builds more than {MAX_INSTANCES} networks"
    ))
    .with_kind(ErrorKind::InvalidValue)
    .with_label(
        net.span,
        format!("network {} is built here", MAX_INSTANCES + 1),
    );
    if let Some(binding) = env.get(outermost) {
        d = d.with_label(binding.span, "the network is declared here");
    }
    d.with_help(
        "each `forward` in a default or a layer builds its network again; \
         compute the value once with `let` and use its name",
    )
}

struct Builder<'a> {
    env: &'a Env,
    locals: &'a [(String, Value)],
    /// The arguments the network was called with, with their places.
    args: &'a [NetArg],
    input: Option<(usize, Span)>,
    layers: Vec<LayerSpec>,
    origins: Vec<LayerOrigin>,
    residuals: Vec<Residual>,
    net_name: &'a str,
    /// Mistakes after which the layers' widths are still known, so checking goes on.
    found: &'a mut Vec<Diagnostic>,
    /// This network, for the expressions of its layers.
    here: Building<'a>,
}

impl Builder<'_> {
    fn scope(&self) -> Scope<'_> {
        Scope {
            env: self.env,
            locals: self.locals,
            building: Some(&self.here),
        }
    }

    fn number(
        &self,
        expr: &crate::syntax::ast::Expr,
        what: &str,
        kind: Kind,
    ) -> Result<f64, Diagnostic> {
        if let ExprKind::Var(name) = &expr.kind {
            let known =
                self.locals.iter().any(|(local, _)| local == name) || self.env.get(name).is_some();
            if !known {
                return Err(Diagnostic::error(format!(
                    "`{name}` is not a parameter of `{}`",
                    self.net_name
                ))
                .with_kind(ErrorKind::unknown_name_of(name))
                .with_label(expr.span, format!("used as the {what}"))
                .with_help(format!("add it: `network {}({name} = 4)`", self.net_name)));
            }
        }
        check_number(what, kind, &eval(expr, &self.scope())?, expr.span)
            .map_err(|error| self.blame_argument(error, expr))
    }

    /// An out-of-range number written as a parameter (`repeat depth`) whose value came
    /// from the call (`chain(depth = 0)`): the call is what to change, so it is the
    /// primary label, and the place in the body the secondary one.
    fn blame_argument(&self, mut error: Diagnostic, expr: &crate::syntax::ast::Expr) -> Diagnostic {
        let ExprKind::Var(name) = &expr.kind else {
            return error;
        };
        let Some(NetArg {
            value, span: at, ..
        }) = self.args.iter().find(|arg| arg.name == *name)
        else {
            return error;
        };
        for label in &mut error.labels {
            label.message = format!("used here: {}", label.message);
        }
        error.labels.insert(
            0,
            LabelText {
                span: *at,
                message: format!("`{name} = {value}` is given here"),
            },
        );
        error
    }

    fn layers_of(&mut self, body: &[Layer], repeat: Option<Span>) -> Result<(), Diagnostic> {
        for layer in body {
            self.here.part.set(layer.span);
            match &layer.kind {
                LayerKind::Input(width) => {
                    if let Some((_, first)) = self.input {
                        return Err(Diagnostic::error("a network has one `input` line")
                            .with_label(layer.span, "second `input`")
                            .with_label(first, "first `input` here"));
                    }
                    if repeat.is_some() || !self.layers.is_empty() {
                        return Err(Diagnostic::error("`input` must come before the layers")
                            .with_label(layer.span, "this `input` comes too late"));
                    }
                    let n = self.number(width, "input width", Kind::Count)?;
                    self.input = Some((self.width(n, width.span)?, layer.span));
                }
                LayerKind::Dense {
                    width,
                    activation,
                    attrs,
                } => {
                    let Some((input, _)) = self.input else {
                        return Err(Diagnostic::error("a layer before the `input` line")
                            .with_label(layer.span, "this layer has no input width")
                            .with_help("start the network with `input N`"));
                    };
                    let n = self.number(width, "width", Kind::Count)?;
                    let width_value = self.width(n, width.span)?;
                    let fan_in = self.layers.last().map_or(input, |l| l.width);
                    // A bad activation or attribute leaves the width known: go on.
                    let act = self.activation(activation).unwrap_or_else(|error| {
                        self.found.push(error);
                        Activation::Linear
                    });
                    let mut spec = LayerSpec {
                        width: width_value,
                        activation: act,
                        weight: WeightSpec::Default,
                        bias: BiasSpec::Default,
                        origin: self.origins.len(),
                        batchnorm: false,
                        layernorm: false,
                    };
                    let mut origin = LayerOrigin {
                        span: layer.span,
                        repeat,
                        init: None,
                    };
                    if let Err(error) = self.attributes(attrs, fan_in, &mut spec, &mut origin) {
                        self.found.push(error);
                    }
                    if self.layers.len() >= MAX_LAYERS {
                        return Err(Diagnostic::error(format!(
                            "network `{}` has more than {MAX_LAYERS} layers",
                            self.net_name
                        ))
                        .with_kind(ErrorKind::TooLarge)
                        .with_label(repeat.unwrap_or(layer.span), "this makes too many layers"));
                    }
                    self.layers.push(spec);
                    self.origins.push(origin);
                }
                LayerKind::Repeat { count, body } => {
                    let n = self.number(count, "repeat count", Kind::Count)?;
                    let header = Span::new(layer.span.start, count.span.end);
                    if n as usize > MAX_LAYERS {
                        return Err(
                            Diagnostic::error(format!("repeat count above {MAX_LAYERS}"))
                                .with_kind(ErrorKind::TooLarge)
                                .with_label(count.span, "too many repetitions"),
                        );
                    }
                    for _ in 0..n as usize {
                        let (before, mistakes) = (self.layers.len(), self.found.len());
                        self.layers_of(body, Some(repeat.unwrap_or(header)))?;
                        // Each turn would only make the same mistakes again.
                        if self.found.len() > mistakes {
                            break;
                        }
                        // A body that adds no layer adds none the next time either:
                        // stop, or nested empty repeats would loop for billions of turns.
                        if self.layers.len() == before {
                            break;
                        }
                    }
                }
                LayerKind::Residual { body } => {
                    let Some((input, _)) = self.input else {
                        return Err(
                            Diagnostic::error("a residual block before the `input` line")
                                .with_label(layer.span, "this block has no input width"),
                        );
                    };
                    let first = self.layers.len();
                    let width_in = self.layers.last().map_or(input, |l| l.width);
                    self.layers_of(body, repeat)?;
                    if self.layers.len() == first {
                        return Err(Diagnostic::error("an empty residual block")
                            .with_label(layer.span, "no layers to skip over"));
                    }
                    let last = self.layers.len() - 1;
                    let width_out = self.layers[last].width;
                    if width_out != width_in {
                        return Err(Diagnostic::error(format!(
                            "a residual block must end as wide as it starts: {width_in} in, {width_out} out"
                        )).with_kind(ErrorKind::ShapeMismatch)
                        .with_label(layer.span, "its output is added to its input")
                        .with_help(format!("make its last layer `dense {width_in} …`")));
                    }
                    self.residuals.push(Residual { first, last });
                }
            }
        }
        Ok(())
    }

    fn width(&self, n: f64, span: Span) -> Result<usize, Diagnostic> {
        if n as usize > MAX_WIDTH {
            return Err(Diagnostic::error(format!("width above {MAX_WIDTH}"))
                .with_kind(ErrorKind::TooLarge)
                .with_label(span, "too wide to simulate"));
        }
        Ok(n as usize)
    }

    fn activation(&self, call: &crate::syntax::ast::Call) -> Result<Activation, Diagnostic> {
        let name = call.name.name.as_str();
        let Some(activation) = ActivationName::named(name) else {
            let mut d = Diagnostic::error(format!("unknown activation `{name}`"))
                .with_kind(ErrorKind::UnknownBuiltin)
                .with_label(call.name.span, "not an activation");
            if let Some(best) = did_you_mean(name, sig::names(sig::ACTIVATIONS)) {
                d = d.with_help(format!("did you mean `{best}`?"));
            } else {
                d = d.with_help(format!(
                    "the activations are {}",
                    sig::names(sig::ACTIVATIONS).collect::<Vec<_>>().join(", ")
                ));
            }
            return Err(d);
        };
        no_arguments(activation.signature(), ActivationName::WHAT, call)?;
        let args = call
            .args
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|a| {
                Ok(SpecArg {
                    name: a.name.as_ref().map(|n| n.name.clone()),
                    value: eval(&a.value, &self.scope())?,
                    span: a.span,
                    written: None,
                })
            })
            .collect::<Result<Vec<_>, Diagnostic>>()?;
        let bound = bind(
            activation.signature(),
            ActivationName::WHAT,
            &args,
            call.span,
        )?;
        build_activation(activation, &bound)
    }

    fn attributes(
        &self,
        attrs: &[Attr],
        fan_in: usize,
        spec: &mut LayerSpec,
        origin: &mut LayerOrigin,
    ) -> Result<(), Diagnostic> {
        let mut seen: Vec<(LayerAttr, Span)> = Vec::new();
        for attr in attrs {
            let name = attr.name.name.as_str();
            let Some(which) = LayerAttr::named(name) else {
                let mut d = Diagnostic::error(format!("unknown layer attribute `{name}`"))
                    .with_kind(ErrorKind::UnknownBuiltin)
                    .with_label(attr.name.span, "not a layer attribute");
                if let Some(best) = did_you_mean(name, LAYER_ATTRS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                } else {
                    d = d.with_help("a layer takes weight=…, bias=…, init=… and batchnorm");
                }
                return Err(d);
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == which) {
                return Err(Diagnostic::error(format!("`{name}` is given twice"))
                    .with_label(attr.span, "given again here")
                    .with_label(*first, "first given here"));
            }
            seen.push((which, attr.span));
            if let LayerAttr::Batchnorm | LayerAttr::Layernorm = which {
                if let Some(value) = &attr.value {
                    return Err(Diagnostic::error(format!(
                        "`{name}` is a flag and takes no value"
                    ))
                    .with_label(value.span, "remove `=` and this value"));
                }
                if which == LayerAttr::Batchnorm {
                    spec.batchnorm = true;
                } else {
                    spec.layernorm = true;
                }
                if spec.batchnorm && spec.layernorm {
                    return Err(Diagnostic::error(
                        "a layer takes `batchnorm` or `layernorm`, not both",
                    )
                    .with_label(attr.span, "the second normalisation"));
                }
                continue;
            }
            let Some(expr) = &attr.value else {
                return Err(Diagnostic::error(format!("`{name}` needs a value"))
                    .with_label(attr.span, format!("write `{name}=…`")));
            };
            let value = match eval(expr, &self.scope()) {
                Ok(value) => value,
                Err(error) if which == LayerAttr::Init => {
                    return Err(init::unknown(expr, |n| self.is_declared(n)).unwrap_or(error));
                }
                Err(error) => {
                    return Err(bare_word::for_attribute(
                        which, expr, spec.width, fan_in, error,
                    ));
                }
            };
            match which {
                LayerAttr::Weight => {
                    spec.weight = self.weight(value, expr.span, spec.width, fan_in, origin)?
                }
                LayerAttr::Bias => spec.bias = bias(value, expr.span, spec.width)?,
                LayerAttr::Init => {
                    let (written, scheme) = init::scheme(value, expr.span)?;
                    init::check_fits(&scheme, fan_in, spec.width, expr.span)?;
                    spec.weight = WeightSpec::Init(scheme);
                    origin.init = Some(written);
                }
                // Handled above: flags take no value.
                LayerAttr::Batchnorm | LayerAttr::Layernorm => {}
            }
        }
        let has = |which: LayerAttr| seen.iter().any(|(n, _)| *n == which);
        if has(LayerAttr::Weight) && has(LayerAttr::Init) {
            return Err(
                Diagnostic::error("`weight` and `init` both set the weights")
                    .with_label(attrs[0].span, "on this layer")
                    .with_help("keep one of them"),
            );
        }
        Ok(())
    }

    fn is_declared(&self, name: &str) -> bool {
        self.env.get(name).is_some() || self.locals.iter().any(|(n, _)| n == name)
    }

    fn weight(
        &self,
        value: Value,
        span: Span,
        width: usize,
        fan_in: usize,
        origin: &mut LayerOrigin,
    ) -> Result<WeightSpec, Diagnostic> {
        match &value {
            Value::Num(v) => Ok(WeightSpec::Const(*v)),
            Value::List(_) => {
                let rows = value.as_matrix().ok_or_else(|| {
                    Diagnostic::error("a weight matrix holds numbers only")
                        .with_label(span, "in this matrix")
                })?;
                let shape_ok = rows.len() == width && rows.iter().all(|r| r.len() == fan_in);
                if !shape_ok {
                    let cols = rows.first().map_or(0, Vec::len);
                    return Err(Diagnostic::error(format!(
                        "weight matrix is {}×{cols}, but this layer needs {width}×{fan_in}",
                        rows.len()
                    )).with_kind(ErrorKind::ShapeMismatch)
                    .with_label(span, format!("expected {width} row(s) of {fan_in} value(s)"))
                    .with_note("rows are the layer's outputs and columns its inputs, as in PyTorch's nn.Linear"));
                }
                Ok(WeightSpec::Matrix(rows))
            }
            Value::Spec(spec) if InitName::named(&spec.name).is_some() => {
                let (written, scheme) = init::scheme(value.clone(), span)?;
                init::check_fits(&scheme, fan_in, width, span)?;
                origin.init = Some(written);
                Ok(WeightSpec::Init(scheme))
            }
            other => Err(Diagnostic::error(format!(
                "`weight` takes a number, a matrix or an init scheme, found a {}",
                other.type_name()
            ))
            .with_label(span, "here")),
        }
    }
}

fn bias(value: Value, span: Span, width: usize) -> Result<BiasSpec, Diagnostic> {
    match &value {
        Value::None => Ok(BiasSpec::None),
        Value::Num(v) => Ok(BiasSpec::Const(*v)),
        Value::List(_) => {
            let v = value.as_vector().ok_or_else(|| {
                Diagnostic::error("a bias vector holds numbers only")
                    .with_label(span, "in this list")
            })?;
            if v.len() != width {
                return Err(Diagnostic::error(format!(
                    "bias has {} values, but the layer is {width} wide",
                    v.len()
                ))
                .with_kind(ErrorKind::ShapeMismatch)
                .with_label(span, format!("expected {width} value(s)")));
            }
            Ok(BiasSpec::Vector(v))
        }
        other => Err(Diagnostic::error(format!(
            "`bias` takes a number, a list or `none`, found a {}",
            other.type_name()
        ))
        .with_label(span, "here")),
    }
}

/// The engine's activation for a checked name and its bound arguments.
fn build_activation(name: ActivationName, b: &Bound) -> Result<Activation, Diagnostic> {
    Ok(match name {
        ActivationName::Relu => Activation::Relu,
        ActivationName::LeakyRelu => Activation::LeakyRelu {
            slope: b.num("slope")?,
        },
        ActivationName::Elu => Activation::Elu {
            alpha: b.num("alpha")?,
        },
        ActivationName::Gelu => Activation::Gelu,
        ActivationName::Sigmoid => Activation::Sigmoid,
        ActivationName::Tanh => Activation::Tanh,
        ActivationName::Softplus => Activation::Softplus,
        ActivationName::Linear => Activation::Linear,
    })
}
