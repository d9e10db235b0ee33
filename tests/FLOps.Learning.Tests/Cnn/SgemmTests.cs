using FLOps.Learning.Models.Cnn;

namespace FLOps.Learning.Tests.Cnn;

public sealed class SgemmTests
{
    public static TheoryData<bool, bool, int, int, int> Shapes()
    {
        var data = new TheoryData<bool, bool, int, int, int>();
        foreach (var transA in new[] { false, true })
        {
            foreach (var transB in new[] { false, true })
            {
                data.Add(transA, transB, 1, 1, 1);
                data.Add(transA, transB, 7, 5, 3); // smaller than one register tile
                data.Add(transA, transB, 64, 121, 288); // one image through conv2
                data.Add(transA, transB, 131, 1037, 300); // ragged edges, k > one packed block, n > one column block
            }
        }

        // Small products over a long k take the unpacked dot-product path (conv1's and fc1's shapes, and ragged ones).
        data.Add(false, true, 32, 9, 21632);
        data.Add(false, true, 32, 128, 1600);
        data.Add(false, true, 7, 9, 4101);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_equals_a_naive_product_for_every_transpose(bool transA, bool transB, int m, int n, int k)
    {
        var random = new Random((m * 31) + n);
        // Stored shapes, with a row stride larger than the row to check the strides are honoured.
        var (aRows, aColumns) = transA ? (k, m) : (m, k);
        var (bRows, bColumns) = transB ? (n, k) : (k, n);
        const int Pad = 3;
        var a = Random(random, (aRows * (aColumns + Pad)) + 5);
        var b = Random(random, (bRows * (bColumns + Pad)) + 7);
        var c = Random(random, (m * (n + Pad)) + 2);
        var original = (float[])c.Clone();

        Sgemm.Multiply(transA, transB, m, n, k, a, 5, aColumns + Pad, b, 7, bColumns + Pad, c, 2, n + Pad, accumulate: false);

        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var expected = 0.0;
                for (var p = 0; p < k; p++)
                {
                    var av = transA ? a[5 + (p * (aColumns + Pad)) + i] : a[5 + (i * (aColumns + Pad)) + p];
                    var bv = transB ? b[7 + (j * (bColumns + Pad)) + p] : b[7 + (p * (bColumns + Pad)) + j];
                    expected += (double)av * bv;
                }

                var actual = c[2 + (i * (n + Pad)) + j];
                Assert.True(Math.Abs(actual - expected) <= 1e-4 * (1 + Math.Sqrt(k)), $"C[{i},{j}] = {actual}, expected {expected}");
            }

            // The padding between rows is untouched.
            for (var j = n; j < n + Pad && (2 + (i * (n + Pad)) + j) < c.Length; j++)
            {
                Assert.Equal(original[2 + (i * (n + Pad)) + j], c[2 + (i * (n + Pad)) + j]);
            }
        }

        Assert.Equal(original[..2], c[..2]);
    }

    [Theory]
    [InlineData(false, 300)] // packed
    [InlineData(true, 3000)] // dot products
    public void Accumulate_adds_to_what_is_there(bool transB, int k)
    {
        var random = new Random(3);
        const int M = 37, N = 53;
        var a = Random(random, M * k);
        var b = Random(random, k * N);
        var ldb = transB ? k : N;
        var product = new float[M * N];
        Sgemm.Multiply(false, transB, M, N, k, a, 0, k, b, 0, ldb, product, 0, N, accumulate: false);
        var c = Random(random, M * N);
        var expected = c.Zip(product, (x, y) => x + y).ToArray();

        Sgemm.Multiply(false, transB, M, N, k, a, 0, k, b, 0, ldb, c, 0, N, accumulate: true);

        for (var i = 0; i < c.Length; i++)
        {
            Assert.Equal(expected[i], c[i], 1e-4f);
        }
    }

    [Theory]
    [InlineData(64, 3872, 288, false)] // conv2 forward over a batch of 32: split by columns
    [InlineData(288, 9, 2000, false)] // a tall, narrow product: split by rows
    [InlineData(32, 9, 21632, true)] // conv1's weight gradient: dot products split by rows
    [InlineData(6, 9, 5000, true)] // rows grouped 4 + 2 on one thread but 3 + 3 on two
    public void Several_threads_give_bit_identical_results(int m, int n, int k, bool transB)
    {
        var random = new Random(11);
        var a = Random(random, m * k);
        var b = Random(random, k * n);
        var ldb = transB ? k : n;
        var one = new float[m * n];
        var two = new float[m * n];

        Sgemm.Multiply(false, transB, m, n, k, a, 0, k, b, 0, ldb, one, 0, n, accumulate: false, threads: 1);
        Sgemm.Multiply(false, transB, m, n, k, a, 0, k, b, 0, ldb, two, 0, n, accumulate: false, threads: 2);

        Assert.Equal(one, two);
    }

    private static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }
}
