using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace FLOps.Gateway.Tests.Fuzzing;

/// <summary>What the service must answer to a case; <see cref="Either"/> where the answer depends on rules the case does not pin down.</summary>
internal enum Verdict
{
    Refused,
    Accepted,
    Either,
}

/// <summary>How a case uses the <c>Idempotency-Key</c> header.</summary>
internal enum KeyUse
{
    None,

    /// <summary>A key never used before (the test makes it unique).</summary>
    Fresh,

    /// <summary>More than the 200 characters a key may have.</summary>
    TooLong,

    /// <summary>A key that already named an accepted project with another spec.</summary>
    ReusedWithAnotherSpec,

    /// <summary>The case is sent twice with the same key: the second answer repeats the first.</summary>
    SentTwice,
}

internal sealed record IdempotencyPlan(KeyUse Use, string Stem)
{
    /// <summary>The header's value: the stem made unique, so that no two cases share a key by chance.</summary>
    public string? Key() => Use == KeyUse.None ? null : $"{Stem}-{Guid.NewGuid():N}";

    public override string ToString() => Use switch
    {
        KeyUse.None => "no Idempotency-Key",
        KeyUse.TooLong => $"an Idempotency-Key of {Stem.Length + 33} characters",
        _ => $"Idempotency-Key '{Stem}-…' {Use}",
    };
}

/// <summary>A JSON body for <c>POST /api/v1/projects</c>: a valid spec with one mutation, and what the service must make of it.</summary>
internal sealed record SpecCase(string Mutation, Verdict Expected, string Body, IdempotencyPlan Key)
{
    /// <summary>The verdict once the key's use is taken into account: a key that is too long or reused with another spec refuses anything.</summary>
    public Verdict Verdict => Key.Use is KeyUse.TooLong or KeyUse.ReusedWithAnotherSpec ? Verdict.Refused : Expected;

    /// <summary>The exact answer where the case pins it down: a valid spec is 422 under a key used for another spec, 400 under one that is too long.</summary>
    public HttpStatusCode? ExactStatus => (Key.Use, Expected) switch
    {
        (KeyUse.ReusedWithAnotherSpec, Verdict.Accepted) => HttpStatusCode.UnprocessableEntity,
        (KeyUse.TooLong, Verdict.Accepted) => HttpStatusCode.BadRequest,
        _ => null,
    };

    public override string ToString() =>
        $"{Mutation}; {Key}; expected {Verdict}; body ({Body.Length} chars): {(Body.Length <= 600 ? Body : Body[..600] + "…")}";
}

/// <summary>
/// Generators of project specs: a small valid spec (a real-device project that waits for devices,
/// or a simulation of at most 4 devices on the tiny synthetic data set, one round) with one field
/// set to null, a wrong type, an odd number, a long string, deep nesting, an invalid tag, a model
/// beyond the parameter limit, a nonsense strategy or partition, an unknown field, or removed.
/// </summary>
internal static class SpecCases
{
    private const string RawPlaceholder = "__raw_json_value__";

    private enum FieldKind
    {
        Text,
        Integer,
        Long,
        Real,
        NullableInteger,
        NullableLong,
        NullableReal,
        Object,
        OptionalObject,
        NumberMap,
    }

    private sealed record Field(string Path, FieldKind Kind)
    {
        public bool IsNumber => Kind is FieldKind.Integer or FieldKind.Long or FieldKind.Real or FieldKind.NullableInteger or FieldKind.NullableLong or FieldKind.NullableReal;

        public bool IsObject => Kind is FieldKind.Object or FieldKind.OptionalObject or FieldKind.NumberMap;

        /// <summary>Removing these would bring defaults that make a simulation heavy (10 devices, 10 rounds).</summary>
        public bool MayBeRemoved => Path is not ("simulation.devices" or "training.rounds");
    }

    private static readonly Field[] Schema =
    [
        new("name", FieldKind.Text),
        new("dataTag", FieldKind.Text),
        new("model", FieldKind.Object),
        new("model.kind", FieldKind.Text),
        new("model.inputs", FieldKind.NullableInteger),
        new("model.classes", FieldKind.NullableInteger),
        new("training", FieldKind.Object),
        new("training.mode", FieldKind.Text),
        new("training.rounds", FieldKind.Integer),
        new("training.cycles", FieldKind.Integer),
        new("training.localEpochs", FieldKind.Integer),
        new("training.batchSize", FieldKind.Integer),
        new("training.learningRate", FieldKind.Real),
        new("training.momentum", FieldKind.Real),
        new("training.minFitClients", FieldKind.Integer),
        new("training.minAvailableClients", FieldKind.Integer),
        new("training.fractionFit", FieldKind.Real),
        new("training.roundTimeoutSeconds", FieldKind.Integer),
        new("training.onRoundFailure", FieldKind.Text),
        new("training.maxRoundRetries", FieldKind.Integer),
        new("training.minFitClusters", FieldKind.Integer),
        new("strategy", FieldKind.Object),
        new("strategy.name", FieldKind.Text),
        new("strategy.parameters", FieldKind.NumberMap),
        new("simulation", FieldKind.OptionalObject),
        new("simulation.devices", FieldKind.Integer),
        new("simulation.partition", FieldKind.Text),
        new("simulation.seed", FieldKind.Integer),
        new("simulation.latencySeconds", FieldKind.Real),
        new("simulation.byzantineDevices", FieldKind.Integer),
        new("simulation.byzantineAttack", FieldKind.Text),
        new("validation", FieldKind.OptionalObject),
        new("validation.maxUpdateNorm", FieldKind.NullableReal),
        new("validation.maxSampleCount", FieldKind.NullableLong),
        new("privacy", FieldKind.OptionalObject),
        new("privacy.clippingNorm", FieldKind.Real),
        new("privacy.noiseMultiplier", FieldKind.Real),
        new("privacy.seed", FieldKind.NullableInteger),
    ];

    /// <summary>Boundaries, overflows, fractions and exponents; none is a valid count above 4 devices or 4 rounds.</summary>
    private static readonly string[] NumberLiterals =
    [
        "0", "-0", "-1", "1", "2", "3", "4", "100001", "1000000000", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "1.5", "0.1", "-0.5", "1e39", "-1e39", "1e400", "1e-300", "5e-324", "1e308",
    ];

    private static readonly string[] OtherKindsOfValue = ["\"text\"", "\"7\"", "\"\"", "7", "-1.5", "true", "false", "{}", "{\"a\":1}", "[]", "[1,\"x\"]"];

    private static readonly string[] UnknownNames = ["nmae", "extra", "__proto__", "$type", "$id", "", " ", "\u00fc", "\ud83d\ude00", "name ", "roundz", "model2"];

    private static readonly string[] InvalidTags = ["a|b", "with space", "\u00fcml\u00e4ut", "", " ", "tab\there", "slash/tag", "\ud83d\ude00", "semi;colon", "mnist|synthetic", new string('t', 101)];

    private static readonly string[] OddValidTags = ["a", "a:b.c-d_e", "MNIST", "synthetic", "mnist", new string('t', 100)];

    /// <summary>Every one is beyond the 50M-parameter limit (some by a handful of parameters, one by overflowing 32 bits).</summary>
    private static readonly string[] TooLargeModels =
    [
        "{\"kind\":\"softmax\",\"inputs\":10000000,\"classes\":6}",
        "{\"kind\":\"softmax\",\"inputs\":5000001,\"classes\":10}",
        "{\"kind\":\"softmax\",\"inputs\":10000000,\"classes\":100000}",
        "{\"kind\":\"mlp\",\"inputs\":12207,\"classes\":2,\"hiddenUnits\":4096}",
        "{\"kind\":\"mlp\",\"inputs\":100000,\"classes\":2,\"hiddenUnits\":4096}",
        "{\"kind\":\"mlp\",\"inputs\":10000000,\"classes\":100000,\"hiddenUnits\":4096}",
    ];

    private static readonly string[] KnownStrategies = ["fedavg", "FEDAVG", " krum ", "fedprox", "fedtrimmedavg", "krum", "multikrum", "fedmedian", "fedadam", "fedyogi", "fedavgm", "fedadagrad"];

    private static readonly string[] UnknownStrategies = ["", " ", "nonsense", "fed avg", "krum!", "\ud83d\ude00", "fedavg;drop"];

    private static readonly string?[] StrategyParameters =
    [
        null, "{}", "{\"mu\":-1}", "{\"mu\":1e308}", "{\"mu\":0.01}", "{\"beta\":0.9}", "{\"beta\":-0.1}", "{\"beta\":0.2}", "{\"f\":1e9}", "{\"f\":1.5}", "{\"f\":1}", "{\"eta\":0}", "{\"eta\":1e39}",
    ];

    /// <summary>Parameters no strategy takes, or one given twice: every strategy refuses them.</summary>
    private static readonly string[] RefusedStrategyParameters = ["{\"nope\":1}", "{\"mu\":1,\"MU\":2}", "{\"\":0}"];

    private static readonly string[] InvalidPartitions = ["", " ", "dirichlet", "dirichlet:", "dirichlet:0", "dirichlet:-1", "dirichlet:NaN", "dirichlet:Infinity", "dirichlet:abc", "random", "iid;dirichlet:1"];

    private static readonly string[] OtherPartitions = ["IID", " iid ", "dirichlet:0.5", "dirichlet:1e-300", "dirichlet:1e300", "Dirichlet:2", "dirichlet: 1"];

    public static Arbitrary<SpecCase> Arbitrary => Cases().ToArbitrary();

    /// <summary>The valid spec that first uses a key in <see cref="KeyUse.ReusedWithAnotherSpec"/>.</summary>
    public static string FirstUseOfAKey { get; } = RealDevice("first-use-of-the-key", "fuzz-first-use").ToJsonString();

    private static Gen<SpecCase> Cases() =>
        from simulated in Gen.Elements(false, true)
        from name in Names()
        from devices in Gen.Choose(1, 4)
        from seed in Gen.Choose(0, 10_000)
        from tag in Gen.Choose(0, 999_999).Select(n => $"fuzz-{n:D6}")
        from mutation in Mutations(simulated ? Simulated(name, devices, seed) : RealDevice(name, tag))
        from key in Keys()
        select new SpecCase($"{mutation.Description} on a {(simulated ? "simulated" : "real-device")} spec", mutation.Verdict, mutation.Body, key);

    private static Gen<string> Names() => Gen.Frequency(
        (8, Gen.Choose(0, 999_999).Select(n => $"fuzz {n}")),
        (1, Gen.Elements("\u043f\u0440\u043e\u0435\u043a\u0442", "\ud83d\ude00 project", "a", new string('n', 200), "tab\tinside")));

    private static Gen<IdempotencyPlan> Keys() =>
        from use in Gen.Frequency(
            (50, Gen.Constant(KeyUse.None)),
            (30, Gen.Constant(KeyUse.Fresh)),
            (6, Gen.Constant(KeyUse.TooLong)),
            (7, Gen.Constant(KeyUse.ReusedWithAnotherSpec)),
            (7, Gen.Constant(KeyUse.SentTwice)))
        from length in use == KeyUse.TooLong ? Gen.Choose(168, 2_000) : Gen.Choose(1, 150)
        from chars in Gen.ArrayOf(Gen.Choose(0x21, 0x7E).Select(c => (char)c), length)
        select new IdempotencyPlan(use, new string(chars));

    /// <summary>A project for real devices of a tag nobody has registered: it waits for devices and costs nothing until cancelled.</summary>
    public static JsonObject RealDevice(string name, string tag) => new()
    {
        ["name"] = name,
        ["dataTag"] = tag,
        ["model"] = new JsonObject { ["kind"] = "softmax", ["inputs"] = 4, ["classes"] = 2 },
        ["training"] = new JsonObject { ["mode"] = "classic", ["rounds"] = 1, ["minFitClients"] = 1, ["minAvailableClients"] = 1, ["roundTimeoutSeconds"] = 3600 },
        ["strategy"] = new JsonObject { ["name"] = "fedavg" },
    };

    /// <summary>Every field written out: one round of at most 4 simulated devices holding 8 synthetic samples each.</summary>
    private static JsonObject Simulated(string name, int devices, int seed) => new()
    {
        ["name"] = name,
        ["dataTag"] = "synthetic",
        ["model"] = new JsonObject { ["kind"] = "softmax" },
        ["training"] = new JsonObject
        {
            ["mode"] = "classic",
            ["rounds"] = 1,
            ["cycles"] = 1,
            ["localEpochs"] = 1,
            ["batchSize"] = 8,
            ["learningRate"] = 0.1,
            ["minFitClients"] = 1,
            ["minAvailableClients"] = 1,
            ["fractionFit"] = 1.0,
            ["roundTimeoutSeconds"] = 60,
            ["onRoundFailure"] = "fail",
            ["maxRoundRetries"] = 0,
            ["minFitClusters"] = 1,
        },
        ["strategy"] = new JsonObject { ["name"] = "fedavg", ["parameters"] = new JsonObject() },
        ["simulation"] = new JsonObject { ["devices"] = devices, ["partition"] = "iid", ["seed"] = seed, ["latencySeconds"] = 0, ["byzantineDevices"] = 0, ["byzantineAttack"] = "flip" },
        ["validation"] = new JsonObject { ["maxUpdateNorm"] = 1000.0, ["maxSampleCount"] = 1_000_000 },
        ["privacy"] = new JsonObject { ["clippingNorm"] = 10.0, ["noiseMultiplier"] = 0.01, ["seed"] = 7 },
    };

    private sealed record Mutated(string Description, Verdict Verdict, string Body);

    private static Gen<Mutated> Mutations(JsonObject spec)
    {
        var present = Schema.Where(f => Find(spec, f.Path) is not null).ToArray();
        var numbers = present.Where(f => f.IsNumber).ToArray();
        var objects = present.Where(f => f.IsObject).Select(f => f.Path).Prepend("").ToArray();
        var removable = present.Where(f => f.MayBeRemoved).ToArray();
        var choices = new List<(int, Gen<Mutated>)>
        {
            (5, Gen.Constant(new Mutated("no mutation", Verdict.Accepted, Render(spec)))),
            (12, Gen.Elements(present).Select(f => SetNull(spec, f))),
            (12, from f in Gen.Elements(present) from value in Gen.Elements(OtherKindsOfValue.Where(v => KindOf(v) != JsonKindOf(f.Kind))) select WithRaw(spec, f.Path, value, $"{f.Path} of the wrong type {value}", Verdict.Refused)),
            (18, from f in Gen.Elements(numbers) from literal in Gen.Elements(NumberLiterals) select WithRaw(spec, f.Path, literal, $"{f.Path} = {literal}", NumberVerdict(f.Kind, literal))),
            (6, from f in Gen.Elements(present) from text in LongStrings() select WithText(spec, f.Path, text, $"{f.Path} a string of {text.Length} chars", Verdict.Refused)),
            (8, from o in Gen.Elements(objects) from unknown in Gen.Elements(UnknownNames) select WithRaw(spec, Join(o, unknown), "1", $"unknown field '{unknown}' in '{o}'", Verdict.Refused)),
            (10, Gen.Elements(removable).Select(f => Removed(spec, f))),
            (5, from f in Gen.Elements(present) from depth in Gen.Elements(2, 63, 64, 65, 1_000, 100_000) from arrays in Gen.Elements(true, false) select WithRaw(spec, f.Path, Nested(depth, arrays), $"{f.Path} nested {depth} deep in {(arrays ? "arrays" : "objects")}", Verdict.Refused)),
            (6, Gen.Frequency((4, Gen.Elements(InvalidTags).Select(t => WithText(spec, "dataTag", t, $"invalid data tag '{t}'", Verdict.Refused))), (1, Gen.Elements(OddValidTags).Select(t => WithText(spec, "dataTag", t, $"data tag '{t}'", Verdict.Either))))),
            (5, Gen.Elements(TooLargeModels).Select(m => WithRaw(spec, "model", m, $"model {m}", Verdict.Refused))),
            (8, Strategies(spec)),
        };
        if (Find(spec, "simulation.partition") is not null)
        {
            choices.Add((5, Gen.Frequency(
                (1, Gen.Elements(InvalidPartitions).Select(p => WithText(spec, "simulation.partition", p, $"partition '{p}'", Verdict.Refused))),
                (1, Gen.Elements(OtherPartitions).Select(p => WithText(spec, "simulation.partition", p, $"partition '{p}'", Verdict.Either))))));
        }

        return Gen.Frequency(choices);
    }

    private static Gen<Mutated> Strategies(JsonObject spec) => Gen.Frequency(
        (3, from name in Gen.Elements(KnownStrategies) from parameters in Gen.Elements(StrategyParameters) select Strategy(spec, name, parameters, Verdict.Either)),
        (1, from name in Gen.Elements(KnownStrategies) from parameters in Gen.Elements(RefusedStrategyParameters) select Strategy(spec, name, parameters, Verdict.Refused)),
        (1, from name in Gen.Elements(UnknownStrategies) from parameters in Gen.Elements(StrategyParameters) select Strategy(spec, name, parameters, Verdict.Refused)));

    private static Mutated Strategy(JsonObject spec, string name, string? parameters, Verdict verdict)
    {
        var strategy = $"{{\"name\":{JsonValue.Create(name).ToJsonString()}{(parameters is null ? "" : ",\"parameters\":" + parameters)}}}";
        return WithRaw(spec, "strategy", strategy, $"strategy {strategy}", verdict);
    }

    private static Gen<string> LongStrings() =>
        from length in Gen.Elements(201, 5_000, 1_100_000)
        from piece in Gen.Elements("x", "\u00e9", "\ud83d\ude00", "|")
        select new StringBuilder(length).Insert(0, piece, (length + piece.Length - 1) / piece.Length).ToString();

    private static string Nested(int depth, bool arrays) => arrays
        ? new string('[', depth) + new string(']', depth)
        : new StringBuilder().Insert(0, "{\"a\":", depth).Append('1').Append('}', depth).ToString();

    private static Mutated SetNull(JsonObject spec, Field field) => WithRaw(
        spec,
        field.Path,
        "null",
        $"{field.Path} = null",
        field.Kind is FieldKind.Text or FieldKind.Integer or FieldKind.Long or FieldKind.Real or FieldKind.Object ? Verdict.Refused : Verdict.Either);

    private static Mutated Removed(JsonObject spec, Field field)
    {
        var copy = (JsonObject)spec.DeepClone();
        var (parent, name) = Parent(copy, field.Path);
        parent.Remove(name);
        return new Mutated($"{field.Path} removed", Verdict.Either, Render(copy));
    }

    /// <summary>An integer field refuses what is not a 32-bit integer, a long field what is not a 64-bit one; the rest depends on the field's bounds.</summary>
    private static Verdict NumberVerdict(FieldKind kind, string literal) => kind switch
    {
        FieldKind.Integer or FieldKind.NullableInteger when !int.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => Verdict.Refused,
        FieldKind.Long or FieldKind.NullableLong when !long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) => Verdict.Refused,
        _ => Verdict.Either,
    };

    private static Mutated WithText(JsonObject spec, string path, string text, string description, Verdict verdict) =>
        WithRaw(spec, path, JsonValue.Create(text).ToJsonString(), description, verdict);

    /// <summary>The spec with the value at <paramref name="path"/> replaced by raw JSON text (which may be deeper or larger than a JSON writer allows).</summary>
    private static Mutated WithRaw(JsonObject spec, string path, string rawJson, string description, Verdict verdict)
    {
        var copy = (JsonObject)spec.DeepClone();
        var (parent, name) = Parent(copy, path);
        parent[name] = RawPlaceholder;
        var placeholder = JsonValue.Create(RawPlaceholder).ToJsonString();
        return new Mutated(description, verdict, Render(copy).Replace(placeholder, rawJson, StringComparison.Ordinal));
    }

    private static string Render(JsonObject spec) => spec.ToJsonString();

    private static string Join(string objectPath, string name) => objectPath.Length == 0 ? name : objectPath + "." + name;

    /// <summary>The object holding the last segment of <paramref name="path"/>; names may contain anything but dots.</summary>
    private static (JsonObject Parent, string Name) Parent(JsonObject root, string path)
    {
        var segments = path.Split('.');
        var parent = root;
        foreach (var segment in segments[..^1])
        {
            parent = (JsonObject)parent[segment]!;
        }

        return (parent, segments[^1]);
    }

    private static JsonNode? Find(JsonObject root, string path)
    {
        JsonNode? node = root;
        foreach (var segment in path.Split('.'))
        {
            node = node is JsonObject o ? o[segment] : null;
        }

        return node;
    }

    private enum JsonKind
    {
        String,
        Number,
        Boolean,
        Object,
        Array,
    }

    private static JsonKind KindOf(string rawJson) => rawJson[0] switch
    {
        '"' => JsonKind.String,
        't' or 'f' => JsonKind.Boolean,
        '{' => JsonKind.Object,
        '[' => JsonKind.Array,
        _ => JsonKind.Number,
    };

    private static JsonKind JsonKindOf(FieldKind kind) => kind switch
    {
        FieldKind.Text => JsonKind.String,
        FieldKind.Object or FieldKind.OptionalObject or FieldKind.NumberMap => JsonKind.Object,
        _ => JsonKind.Number,
    };
}
