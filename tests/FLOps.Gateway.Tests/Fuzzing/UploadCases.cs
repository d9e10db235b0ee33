using System.Net;
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;

namespace FLOps.Gateway.Tests.Fuzzing;

internal enum SamplesReading
{
    /// <summary>Absent or empty.</summary>
    Missing,

    /// <summary>Not a 64-bit integer: the query does not bind.</summary>
    Unreadable,

    /// <summary>Not in (0, 10¹²], the service's outer bound, checked before anything else.</summary>
    OutsideTheServiceBound,

    /// <summary>Above the project's bound (10⁹ by default) but within the service's.</summary>
    BeyondTheProjectBound,
    Valid,
}

internal enum LossReading
{
    Missing,
    Unreadable,
    NotFinite,
    Valid,
}

internal enum BodyReading
{
    /// <summary>Empty, or not a whole number of float32.</summary>
    NotFloats,
    WrongCount,
    NotFinite,

    /// <summary>The task's parameter count, all finite (huge ones such as 1e38 included: no norm bound is set).</summary>
    Valid,
}

/// <summary>A task id or model hash made from the one the device holds; <see cref="Of"/> gives null to leave the parameter out.</summary>
internal sealed record Reference(string Label, bool IsTheHeldOne, Func<string, string?> Of)
{
    public static bool IsBlank(string? value) => string.IsNullOrEmpty(value);

    public override string ToString() => Label;
}

internal sealed record QueryValue<TReading>(string? Text, TReading Reading)
    where TReading : struct, Enum
{
    public override string ToString() => Text is null ? $"missing ({Reading})" : $"'{Text}' ({Reading})";
}

internal sealed record Body(string Label, byte[] Bytes, BodyReading Reading)
{
    public override string ToString() => $"{Label} ({Bytes.Length} bytes, {Reading})";
}

/// <summary>An upload of a device that holds a task of a softmax project (4 inputs, 2 classes), and the answer the protocol prescribes for it.</summary>
internal sealed record UploadCase(Reference Task, Reference Model, QueryValue<SamplesReading> Samples, QueryValue<LossReading> Loss, Body Body)
{
    /// <summary>Softmax with 4 inputs and 2 classes: 4 × 2 weights and 2 biases.</summary>
    public const int ParameterCount = (4 * 2) + 2;

    public const string Malformed = "malformed";

    /// <summary><c>updates?task=…&amp;model=…&amp;samples=…&amp;loss=…</c>, every value escaped, the missing ones left out.</summary>
    public string Route(string heldTaskId, string taskModelHash)
    {
        (string Name, string? Value)[] parameters = [("task", Task.Of(heldTaskId)), ("model", Model.Of(taskModelHash)), ("samples", Samples.Text), ("loss", Loss.Text)];
        return "updates?" + string.Join('&', parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
    }

    /// <summary>
    /// The protocol's order: what does not bind is a 400; the gateway then asks for task, model and
    /// samples (400), checks the loss and that the body is float32 (422); the device checks the task
    /// (409 wrongTask), then the model (409 stale), then the count of parameters, the sample count
    /// (the project's bound, within the service's) and finite values (422).
    /// </summary>
    public (HttpStatusCode Status, string? Refusal) Expected(string heldTaskId, string taskModelHash)
    {
        if (Samples.Reading == SamplesReading.Unreadable || Loss.Reading == LossReading.Unreadable)
        {
            return (HttpStatusCode.BadRequest, null);
        }

        if (Reference.IsBlank(Task.Of(heldTaskId)) || Reference.IsBlank(Model.Of(taskModelHash)) || Samples.Reading == SamplesReading.Missing)
        {
            return (HttpStatusCode.BadRequest, null);
        }

        if (Loss.Reading == LossReading.NotFinite || Body.Reading == BodyReading.NotFloats)
        {
            return (HttpStatusCode.UnprocessableEntity, Malformed);
        }

        if (!Task.IsTheHeldOne)
        {
            return (HttpStatusCode.Conflict, "wrongTask");
        }

        if (!Model.IsTheHeldOne)
        {
            return (HttpStatusCode.Conflict, "stale");
        }

        return Body.Reading is BodyReading.WrongCount or BodyReading.NotFinite || Samples.Reading is SamplesReading.BeyondTheProjectBound or SamplesReading.OutsideTheServiceBound
            ? (HttpStatusCode.UnprocessableEntity, Malformed)
            : (HttpStatusCode.OK, null);
    }

    public override string ToString() => $"task {Task}, model {Model}, samples {Samples}, loss {Loss}, body {Body}";
}

/// <summary>
/// Uploads with 0 to 5 faults among task id, model hash, sample count, loss and body; one in fifty
/// has none, so that most cases are refusals and an acceptance (which ends the project) is rare.
/// </summary>
internal static class UploadCases
{
    public static Arbitrary<UploadCase> Arbitrary => Cases().ToArbitrary();

    private static readonly Reference HeldTask = new("the held task", true, id => id);

    private static readonly Reference[] OtherTasks =
    [
        new("the held task + 'x'", false, id => id + "x"),
        new("the held task with its first character changed", false, id => (id[0] == 'a' ? 'b' : 'a') + id[1..]),
        new("the held task in upper case", false, id => string.Equals(id.ToUpperInvariant(), id, StringComparison.Ordinal) ? id + "X" : id.ToUpperInvariant()),
        .. new[] { "a&b=c", "%", "%00", "#fragment", "?task=x", "../../", " ", "+", "\u00fc", "\0", "null", "0", new string('t', 5_000) }
            .Select(text => new Reference($"'{(text.Length > 20 ? text[..20] + "…" : text)}'", false, _ => text)),
    ];

    private static readonly Reference[] BlankTasks = [new("an empty task id", false, _ => ""), new("no task id", false, _ => null)];

    private static readonly Reference TaskModel = new("the task's model", true, hash => hash);

    private static readonly Reference[] OtherModels =
    [
        new("64 zeros", false, _ => new string('0', 64)),
        new("the task's model with its first character changed", false, hash => (hash[0] == '0' ? '1' : '0') + hash[1..]),
        new("the task's model + 'x'", false, hash => hash + "x"),
        new("the task's model in upper case", false, hash => string.Equals(hash.ToUpperInvariant(), hash, StringComparison.Ordinal) ? hash + "g" : hash.ToUpperInvariant()),
        .. new[] { "../../etc/passwd", "%2F", "\u00fc", " ", new string('m', 10_000) }
            .Select(text => new Reference($"'{(text.Length > 20 ? text[..20] + "…" : text)}'", false, _ => text)),
    ];

    private static readonly Reference[] BlankModels = [new("an empty model hash", false, _ => ""), new("no model hash", false, _ => null)];

    private static Gen<UploadCase> Cases() =>
        from faults in Gen.Frequency((2, Gen.Constant(0)), (55, Gen.Constant(1)), (30, Gen.Constant(2)), (13, Gen.Choose(3, 5)))
        from order in Gen.Shuffle(new[] { 0, 1, 2, 3, 4 })
        let faulty = order.Take(faults).ToHashSet()
        from task in faulty.Contains(0) ? FaultyTask() : Gen.Constant(HeldTask)
        from model in faulty.Contains(1) ? FaultyModel() : Gen.Constant(TaskModel)
        from samples in faulty.Contains(2) ? FaultySamples() : ValidSamples()
        from loss in faulty.Contains(3) ? FaultyLoss() : ValidLoss()
        from body in faulty.Contains(4) ? FaultyBody() : ValidBody()
        select new UploadCase(task, model, samples, loss, body);

    private static Gen<Reference> FaultyTask() => Gen.Frequency((5, Gen.Elements(OtherTasks)), (1, Gen.Elements(BlankTasks)));

    private static Gen<Reference> FaultyModel() => Gen.Frequency((5, Gen.Elements(OtherModels)), (1, Gen.Elements(BlankModels)));

    private static Gen<QueryValue<SamplesReading>> ValidSamples() =>
        Gen.Elements("1", "10", "1000000000").Select(text => new QueryValue<SamplesReading>(text, SamplesReading.Valid));

    private static Gen<QueryValue<SamplesReading>> FaultySamples() => Gen.Frequency(
        (1, Gen.Elements<string?>(null, "").Select(text => new QueryValue<SamplesReading>(text, SamplesReading.Missing))),
        (1, Gen.Elements("1e9", "abc", "9223372036854775808", "1.5", "0x10", "ten").Select(text => new QueryValue<SamplesReading>(text, SamplesReading.Unreadable))),
        (2, Gen.Elements("0", "-1", "-9223372036854775808", "1000000000001", "9223372036854775807").Select(text => new QueryValue<SamplesReading>(text, SamplesReading.OutsideTheServiceBound))),
        (2, Gen.Elements("1000000001", "1000000000000").Select(text => new QueryValue<SamplesReading>(text, SamplesReading.BeyondTheProjectBound))));

    private static Gen<QueryValue<LossReading>> ValidLoss() =>
        Gen.Elements<string?>(null, "0.5", "0", "-1.5", "1e308", "-1.7976931348623157E+308", "5e-324").Select(text => new QueryValue<LossReading>(text, text is null ? LossReading.Missing : LossReading.Valid));

    private static Gen<QueryValue<LossReading>> FaultyLoss() => Gen.Frequency(
        (2, Gen.Elements("NaN", "nan", "Infinity", "-Infinity", "1e309", "-1E+309").Select(text => new QueryValue<LossReading>(text, LossReading.NotFinite))),
        (1, Gen.Elements("inf", "abc", "0x10", "\u221e").Select(text => new QueryValue<LossReading>(text, LossReading.Unreadable))));

    private static readonly Gen<float> Finite = Gen.Frequency(
        (8, Gen.Choose(-10_000, 10_000).Select(i => i / 100f)),
        (1, Gen.Elements(1e38f, -1e38f, float.MaxValue, float.MinValue, float.Epsilon, -0f)));

    private static Gen<Body> ValidBody() =>
        Gen.ArrayOf(Finite, UploadCase.ParameterCount).Select(values => Floats("10 finite floats", values, BodyReading.Valid));

    private static Gen<Body> FaultyBody() => Gen.OneOf(
        Gen.Constant(new Body("an empty body", [], BodyReading.NotFloats)),
        from length in Gen.Elements(1, 2, 3, 5, 7, 39, 41)
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        select new Body($"{length} bytes", bytes, BodyReading.NotFloats),
        from count in Gen.Elements(1, 9, 11, 40, 1_000)
        from values in Gen.ArrayOf(Finite, count)
        select Floats($"{count} finite floats", values, BodyReading.WrongCount),
        from values in Gen.ArrayOf(Finite, UploadCase.ParameterCount)
        from index in Gen.Choose(0, UploadCase.ParameterCount - 1)
        from bad in Gen.Elements(float.NaN, float.PositiveInfinity, float.NegativeInfinity)
        select Floats($"10 floats with {bad} at {index}", values.Select((v, i) => i == index ? bad : v).ToArray(), BodyReading.NotFinite));

    private static Body Floats(string label, float[] values, BodyReading reading) =>
        new(label, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), reading);
}
