using FLOps.Learning.Models;
using FLOps.Learning.Models.Kinds;

namespace FLOps.Inference.Tests;

/// <summary>
/// A deliberately plain forward pass over the flat parameter layout of <see cref="ModelArchitecture"/>,
/// computed in double precision, to check the exported ONNX graph against.
/// </summary>
internal static class ReferenceModel
{
    public static float[] RandomParameters(ModelArchitecture architecture, int seed, double standardDeviation)
    {
        var random = new Random(seed);
        var parameters = new float[architecture.ParameterCount];
        for (var i = 0; i < parameters.Length; i++)
        {
            // Box–Muller.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            parameters[i] = (float)(standardDeviation * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
        }

        return parameters;
    }

    public static double[] Probabilities(ModelArchitecture architecture, float[] parameters, ReadOnlySpan<float> x)
    {
        var inputs = architecture.InputCount;
        var classes = architecture.ClassCount;
        double[] logits;
        if (architecture.Kind == SoftmaxKind.Instance)
        {
            logits = Affine(parameters, 0, classes * inputs, classes, inputs, ToDouble(x));
        }
        else if (architecture.Kind == MlpKind.Instance)
        {
            var hidden = architecture.Size.HiddenUnits!.Value;
            var h = Affine(parameters, 0, hidden * inputs, hidden, inputs, ToDouble(x));
            for (var j = 0; j < hidden; j++)
            {
                h[j] = Math.Max(0.0, h[j]);
            }

            var w2 = (hidden * inputs) + hidden;
            logits = Affine(parameters, w2, w2 + (classes * hidden), classes, hidden, h);
        }
        else
        {
            throw new NotSupportedException($"No reference forward pass for {architecture}.");
        }

        var max = logits.Max();
        var exp = logits.Select(z => Math.Exp(z - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(e => e / sum).ToArray();
    }

    public static int ArgMax(double[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var result = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = x[i];
        }

        return result;
    }

    /// <summary>y = W·x + b, with W [rows × columns] row-major at <paramref name="weights"/> and b at <paramref name="bias"/>.</summary>
    private static double[] Affine(float[] parameters, int weights, int bias, int rows, int columns, double[] x)
    {
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double sum = parameters[bias + r];
            for (var c = 0; c < columns; c++)
            {
                sum += parameters[weights + (r * columns) + c] * x[c];
            }

            y[r] = sum;
        }

        return y;
    }
}
