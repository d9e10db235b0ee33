namespace FLOps.Learning.Tests;

/// <summary>Reproducible updates for the aggregation tests, and the bits their results are compared by.</summary>
internal static class UpdateSamples
{
    public static (float[][] Updates, long[] Counts) Random(int count, int length, int seed)
    {
        var random = new Random(seed);
        var updates = new float[count][];
        var counts = new long[count];
        for (var k = 0; k < count; k++)
        {
            updates[k] = new float[length];
            for (var i = 0; i < length; i++)
            {
                // Wide exponents so that rounding, not just the arithmetic, is put to the test.
                updates[k][i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7)));
            }

            counts[k] = random.Next(1, 100_000);
        }

        return (updates, counts);
    }

    public static int[] BitsOf(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);
}
