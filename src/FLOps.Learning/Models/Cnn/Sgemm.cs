using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FLOps.Learning.Models.Cnn;

/// <summary>
/// Single-precision matrix multiply, C = op(A)·op(B) (or C += …), all row-major, in the style of
/// BLIS/GotoBLAS: op(B) is packed into panels of <see cref="NR"/> columns and op(A) into panels of
/// <see cref="MR"/> rows, so that one register-blocked micro-kernel serves every combination of
/// transposes, and the packed panels stay in L1/L2 while the kernel streams over them.
/// </summary>
/// <remarks>
/// <para>The micro-kernel holds an MR×NR tile of C in registers: 8×32 with Vector512 (16 zmm
/// accumulators) where 512-bit vectors are accelerated, otherwise 6×16 with Vector256 (12 ymm
/// accumulators, the classic AVX2 shape). Every step of the k loop broadcasts MR values of A and
/// issues MR·NR/width fused multiply-adds.</para>
/// <para>Parallel calls split the output into disjoint column (or row) blocks and never split the
/// k reduction, so each element of C is summed in the same order whatever the thread count:
/// results are bit-identical for 1 or N threads.</para>
/// </remarks>
internal static class Sgemm
{
    /// <summary>Largest depth of a packed block (a KC×NR panel of B stays in L1); k is cut into equal blocks no deeper than this.</summary>
    private const int KC = 384;

    /// <summary>Rows of A packed at once (an MC×KC block stays in L2).</summary>
    private const int MC = 128;

    /// <summary>Columns of B packed at once (a KC×NC block, 1 MiB, stays in L2/L3).</summary>
    private const int NC = 1024;

    private static readonly bool s_wide = Vector512.IsHardwareAccelerated;

    /// <summary>Rows of the register tile.</summary>
    public static readonly int MR = s_wide ? 8 : 6;

    /// <summary>Columns of the register tile.</summary>
    public static readonly int NR = s_wide ? 32 : 16;

    [ThreadStatic]
    private static float[]? t_packA;

    [ThreadStatic]
    private static float[]? t_packB;

    /// <summary>
    /// C[m×n] = op(A)[m×k] · op(B)[k×n], or C += … when <paramref name="accumulate"/>.
    /// op(A) is A[m×k] at <paramref name="a"/> with row stride <paramref name="lda"/>, or, with
    /// <paramref name="transA"/>, the transpose of A[k×m]; likewise for B.
    /// </summary>
    public static void Multiply(
        bool transA,
        bool transB,
        int m,
        int n,
        int k,
        float[] a,
        int aOffset,
        int lda,
        float[] b,
        int bOffset,
        int ldb,
        float[] c,
        int cOffset,
        int ldc,
        bool accumulate,
        int threads = 1)
    {
        if (m <= 0 || n <= 0)
        {
            return;
        }

        if (k <= 0)
        {
            if (!accumulate)
            {
                for (var i = 0; i < m; i++)
                {
                    c.AsSpan(cOffset + (i * ldc), n).Clear();
                }
            }

            return;
        }

        if (!transA && transB && k >= 1024 && (long)m * n <= 4096)
        {
            // A small product over a long k, e.g. conv1's weight gradient [32 × 9] over 21,632 pixels or fc1
            // [32 × 128] over 1,600 inputs: packing (k·(m + n) moves) would cost more than it saves, and a
            // 9-wide product would leave most of a 32-wide register tile idle. Both operands are rows along k.
            CnnParallel.ForRanges(m, threads, (first, last) =>
                DotProducts(last - first, n, k, a, aOffset + (first * lda), lda, b, bOffset, ldb, c, cOffset + (first * ldc), ldc, accumulate));
            return;
        }

        var columnUnits = (n + NR - 1) / NR;
        var rowUnits = (m + MR - 1) / MR;
        var parts = Math.Min(threads, Math.Max(columnUnits, rowUnits));
        if (parts <= 1 || (long)m * n * k < 1 << 18)
        {
            Serial(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate);
            return;
        }

        if (columnUnits >= rowUnits)
        {
            // Split the columns of C (and of op(B)) into NR-aligned blocks.
            CnnParallel.For(parts, part =>
            {
                var (start, end) = CnnParallel.Range(columnUnits, parts, part);
                var j0 = start * NR;
                var j1 = Math.Min(n, end * NR);
                if (j1 > j0)
                {
                    var bColumn = transB ? bOffset + (j0 * ldb) : bOffset + j0;
                    Serial(transA, transB, m, j1 - j0, k, a, aOffset, lda, b, bColumn, ldb, c, cOffset + j0, ldc, accumulate);
                }
            });
        }
        else
        {
            // Split the rows of C (and of op(A)) into MR-aligned blocks.
            CnnParallel.For(parts, part =>
            {
                var (start, end) = CnnParallel.Range(rowUnits, parts, part);
                var i0 = start * MR;
                var i1 = Math.Min(m, end * MR);
                if (i1 > i0)
                {
                    var aRow = transA ? aOffset + i0 : aOffset + (i0 * lda);
                    Serial(transA, transB, i1 - i0, n, k, a, aRow, lda, b, bOffset, ldb, c, cOffset + (i0 * ldc), ldc, accumulate);
                }
            });
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial(
        bool transA,
        bool transB,
        int m,
        int n,
        int k,
        float[] a,
        int aOffset,
        int lda,
        float[] b,
        int bOffset,
        int ldb,
        float[] c,
        int cOffset,
        int ldc,
        bool accumulate)
    {
        var mr = MR;
        var nr = NR;
        var packA = t_packA ??= new float[(MC + 8) * KC];
        var packB = t_packB ??= new float[KC * (NC + 32)];
        Span<float> edge = stackalloc float[8 * 32];

        // Equal blocks: k = 288 is one block of 288 rather than 256 + 32, and 3872 is 11 of 352.
        var depth = (k + ((k + KC - 1) / KC) - 1) / ((k + KC - 1) / KC);
        for (var jc = 0; jc < n; jc += NC)
        {
            var nc = Math.Min(NC, n - jc);
            for (var pc = 0; pc < k; pc += depth)
            {
                var kc = Math.Min(depth, k - pc);
                var add = accumulate || pc > 0;
                PackB(transB, b, bOffset, ldb, pc, jc, kc, nc, packB);
                for (var ic = 0; ic < m; ic += MC)
                {
                    var mc = Math.Min(MC, m - ic);
                    PackA(transA, a, aOffset, lda, ic, pc, mc, kc, packA);
                    for (var jr = 0; jr < nc; jr += nr)
                    {
                        var cols = Math.Min(nr, nc - jr);
                        ref var bPanel = ref packB[jr * kc];
                        for (var ir = 0; ir < mc; ir += mr)
                        {
                            var rows = Math.Min(mr, mc - ir);
                            ref var aPanel = ref packA[ir * kc];
                            var cIndex = cOffset + ((ic + ir) * ldc) + jc + jr;
                            if (rows == mr && cols == nr)
                            {
                                Kernel(kc, ref aPanel, ref bPanel, ref c[cIndex], ldc, add);
                            }
                            else
                            {
                                // A partial tile: compute the whole tile into scratch, then copy what exists.
                                Kernel(kc, ref aPanel, ref bPanel, ref MemoryMarshal.GetReference(edge), nr, false);
                                for (var r = 0; r < rows; r++)
                                {
                                    var source = edge.Slice(r * nr, cols);
                                    var target = c.AsSpan(cIndex + (r * ldc), cols);
                                    if (add)
                                    {
                                        System.Numerics.Tensors.TensorPrimitives.Add(target, source, target);
                                    }
                                    else
                                    {
                                        source.CopyTo(target);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[i, j] (+)= A[i, :]·B[j, :] for row-major A [m×k] and B [n×k], without packing: k is walked in
    /// chunks that stay in L2, four rows of A against one row of B at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotProducts(int m, int n, int k, float[] a, int aOffset, int lda, float[] b, int bOffset, int ldb, float[] c, int cOffset, int ldc, bool accumulate)
    {
        const int Chunk = 2048;
        if (!accumulate)
        {
            for (var i = 0; i < m; i++)
            {
                c.AsSpan(cOffset + (i * ldc), n).Clear();
            }
        }

        var width = Vector256<float>.Count;
        for (var p0 = 0; p0 < k; p0 += Chunk)
        {
            var length = Math.Min(Chunk, k - p0);
            var vectorLength = length - (length % width);
            var i = 0;
            for (; i + 4 <= m; i += 4)
            {
                // Spans check the bounds once; the loops below then read through references.
                ref var a0 = ref MemoryMarshal.GetReference(a.AsSpan(aOffset + (i * lda) + p0, length));
                ref var a1 = ref MemoryMarshal.GetReference(a.AsSpan(aOffset + ((i + 1) * lda) + p0, length));
                ref var a2 = ref MemoryMarshal.GetReference(a.AsSpan(aOffset + ((i + 2) * lda) + p0, length));
                ref var a3 = ref MemoryMarshal.GetReference(a.AsSpan(aOffset + ((i + 3) * lda) + p0, length));
                for (var j = 0; j < n; j++)
                {
                    ref var bj = ref MemoryMarshal.GetReference(b.AsSpan(bOffset + (j * ldb) + p0, length));
                    var s0 = Vector256<float>.Zero;
                    var s1 = Vector256<float>.Zero;
                    var s2 = Vector256<float>.Zero;
                    var s3 = Vector256<float>.Zero;
                    for (var p = 0; p < vectorLength; p += width)
                    {
                        var bv = Vector256.LoadUnsafe(ref bj, (nuint)p);
                        s0 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref a0, (nuint)p), bv, s0);
                        s1 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref a1, (nuint)p), bv, s1);
                        s2 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref a2, (nuint)p), bv, s2);
                        s3 = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref a3, (nuint)p), bv, s3);
                    }

                    float t0 = Vector256.Sum(s0), t1 = Vector256.Sum(s1), t2 = Vector256.Sum(s2), t3 = Vector256.Sum(s3);
                    for (var p = vectorLength; p < length; p++)
                    {
                        var bv = Unsafe.Add(ref bj, p);
                        t0 += Unsafe.Add(ref a0, p) * bv;
                        t1 += Unsafe.Add(ref a1, p) * bv;
                        t2 += Unsafe.Add(ref a2, p) * bv;
                        t3 += Unsafe.Add(ref a3, p) * bv;
                    }

                    c[cOffset + (i * ldc) + j] += t0;
                    c[cOffset + ((i + 1) * ldc) + j] += t1;
                    c[cOffset + ((i + 2) * ldc) + j] += t2;
                    c[cOffset + ((i + 3) * ldc) + j] += t3;
                }
            }

            // The rows left over: the same arithmetic as above, one row at a time, so that each element's sum
            // does not depend on how the rows were grouped (or split between threads).
            for (; i < m; i++)
            {
                ref var ai = ref MemoryMarshal.GetReference(a.AsSpan(aOffset + (i * lda) + p0, length));
                for (var j = 0; j < n; j++)
                {
                    ref var bj = ref MemoryMarshal.GetReference(b.AsSpan(bOffset + (j * ldb) + p0, length));
                    var sum = Vector256<float>.Zero;
                    for (var p = 0; p < vectorLength; p += width)
                    {
                        sum = Vector256.MultiplyAddEstimate(Vector256.LoadUnsafe(ref ai, (nuint)p), Vector256.LoadUnsafe(ref bj, (nuint)p), sum);
                    }

                    var total = Vector256.Sum(sum);
                    for (var p = vectorLength; p < length; p++)
                    {
                        total += Unsafe.Add(ref ai, p) * Unsafe.Add(ref bj, p);
                    }

                    c[cOffset + (i * ldc) + j] += total;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel(int kc, ref float a, ref float b, ref float c, int ldc, bool accumulate)
    {
        if (s_wide)
        {
            Kernel8x32(kc, ref a, ref b, ref c, ldc, accumulate);
        }
        else
        {
            Kernel6x16(kc, ref a, ref b, ref c, ldc, accumulate);
        }
    }

    /// <summary>
    /// Packs op(A)[ic.., pc..] (mc×kc) as consecutive MR-row panels, each k-major: panel[p·MR + r].
    /// Rows past mc are zero so the kernel can always compute a whole tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool transA, float[] a, int aOffset, int lda, int ic, int pc, int mc, int kc, float[] pack)
    {
        var mr = MR;
        for (var ir = 0; ir < mc; ir += mr)
        {
            var rows = Math.Min(mr, mc - ir);
            var panel = pack.AsSpan(ir * kc, mr * kc);
            if (transA)
            {
                // op(A)(i, p) = A[p, i]: each p gives MR contiguous values.
                for (var p = 0; p < kc; p++)
                {
                    var source = a.AsSpan(aOffset + ((pc + p) * lda) + ic + ir, rows);
                    var target = panel.Slice(p * mr, mr);
                    source.CopyTo(target);
                    target[rows..].Clear();
                }
            }
            else
            {
                if (rows < mr)
                {
                    panel.Clear();
                }

                for (var r = 0; r < rows; r++)
                {
                    var source = a.AsSpan(aOffset + ((ic + ir + r) * lda) + pc, kc);
                    for (var p = 0; p < kc; p++)
                    {
                        panel[(p * mr) + r] = source[p];
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[pc.., jc..] (kc×nc) as consecutive NR-column panels, each k-major: panel[p·NR + j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool transB, float[] b, int bOffset, int ldb, int pc, int jc, int kc, int nc, float[] pack)
    {
        var nr = NR;
        if (!transB)
        {
            // Row by row, so that B is read sequentially; each row scatters NR-wide pieces over the panels.
            var full = nc - (nc % nr);
            for (var p = 0; p < kc; p++)
            {
                var source = b.AsSpan(bOffset + ((pc + p) * ldb) + jc, nc);
                for (var jr = 0; jr < full; jr += nr)
                {
                    source.Slice(jr, nr).CopyTo(pack.AsSpan((jr * kc) + (p * nr), nr));
                }

                if (full < nc)
                {
                    var target = pack.AsSpan((full * kc) + (p * nr), nr);
                    source[full..].CopyTo(target);
                    target[(nc - full)..].Clear();
                }
            }

            return;
        }

        for (var jr = 0; jr < nc; jr += nr)
        {
            var cols = Math.Min(nr, nc - jr);
            var panel = pack.AsSpan(jr * kc, nr * kc);

            // op(B)(p, j) = B[j, p]: read each row of B once, write it down a column of the panel,
            // eight rows by eight columns at a time where AVX can transpose them in registers.
            if (cols < nr)
            {
                panel.Clear();
            }

            var j0 = 0;
            if (Avx.IsSupported)
            {
                var p8 = kc - (kc % 8);
                for (; j0 + 8 <= cols; j0 += 8)
                {
                    var rows = b.AsSpan(bOffset + ((jc + jr + j0) * ldb) + pc, (7 * ldb) + kc);
                    for (var p = 0; p < p8; p += 8)
                    {
                        Transpose8x8(ref Unsafe.Add(ref MemoryMarshal.GetReference(rows), p), ldb, ref panel[(p * nr) + j0], nr);
                    }

                    for (var j = j0; j < j0 + 8; j++)
                    {
                        for (var p = p8; p < kc; p++)
                        {
                            panel[(p * nr) + j] = rows[((j - j0) * ldb) + p];
                        }
                    }
                }
            }

            for (var j = j0; j < cols; j++)
            {
                var source = b.AsSpan(bOffset + ((jc + jr + j) * ldb) + pc, kc);
                for (var p = 0; p < kc; p++)
                {
                    panel[(p * nr) + j] = source[p];
                }
            }
        }
    }

    /// <summary>
    /// Writes the transpose of the 8×8 block at <paramref name="source"/> (rows <paramref name="sourceStride"/> apart)
    /// to <paramref name="target"/> (rows <paramref name="targetStride"/> apart): unpack, shuffle, then swap 128-bit halves.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float source, int sourceStride, ref float target, int targetStride)
    {
        var r0 = Vector256.LoadUnsafe(ref source);
        var r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        var r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        var r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        var r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        var r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        var r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        var r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44);
        var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44);
        var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44);
        var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44);
        var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref target);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref target, (nuint)targetStride);
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref target, (nuint)(2 * targetStride));
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref target, (nuint)(3 * targetStride));
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref target, (nuint)(4 * targetStride));
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref target, (nuint)(5 * targetStride));
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref target, (nuint)(6 * targetStride));
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref target, (nuint)(7 * targetStride));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int kc, ref float a, ref float b, ref float c, int ldc, bool accumulate)
    {
        var c00 = Vector512<float>.Zero;
        var c01 = Vector512<float>.Zero;
        var c10 = Vector512<float>.Zero;
        var c11 = Vector512<float>.Zero;
        var c20 = Vector512<float>.Zero;
        var c21 = Vector512<float>.Zero;
        var c30 = Vector512<float>.Zero;
        var c31 = Vector512<float>.Zero;
        var c40 = Vector512<float>.Zero;
        var c41 = Vector512<float>.Zero;
        var c50 = Vector512<float>.Zero;
        var c51 = Vector512<float>.Zero;
        var c60 = Vector512<float>.Zero;
        var c61 = Vector512<float>.Zero;
        var c70 = Vector512<float>.Zero;
        var c71 = Vector512<float>.Zero;

        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref b);
            var b1 = Vector512.LoadUnsafe(ref b, 16);
            var a0 = Vector512.Create(a);
            c00 = Vector512.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector512.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector512.Create(Unsafe.Add(ref a, 1));
            c10 = Vector512.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector512.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector512.Create(Unsafe.Add(ref a, 2));
            c20 = Vector512.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector512.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector512.Create(Unsafe.Add(ref a, 3));
            c30 = Vector512.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector512.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector512.Create(Unsafe.Add(ref a, 4));
            c40 = Vector512.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector512.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector512.Create(Unsafe.Add(ref a, 5));
            c50 = Vector512.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector512.MultiplyAddEstimate(a5, b1, c51);
            var a6 = Vector512.Create(Unsafe.Add(ref a, 6));
            c60 = Vector512.MultiplyAddEstimate(a6, b0, c60);
            c61 = Vector512.MultiplyAddEstimate(a6, b1, c61);
            var a7 = Vector512.Create(Unsafe.Add(ref a, 7));
            c70 = Vector512.MultiplyAddEstimate(a7, b0, c70);
            c71 = Vector512.MultiplyAddEstimate(a7, b1, c71);
            a = ref Unsafe.Add(ref a, 8);
            b = ref Unsafe.Add(ref b, 32);
        }

        Store512(ref c, c00, c01, accumulate);
        Store512(ref Unsafe.Add(ref c, ldc), c10, c11, accumulate);
        Store512(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, accumulate);
        Store512(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, accumulate);
        Store512(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, accumulate);
        Store512(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, accumulate);
        Store512(ref Unsafe.Add(ref c, 6 * ldc), c60, c61, accumulate);
        Store512(ref Unsafe.Add(ref c, 7 * ldc), c70, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(ref float row, Vector512<float> left, Vector512<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector512.LoadUnsafe(ref row);
            right += Vector512.LoadUnsafe(ref row, 16);
        }

        left.StoreUnsafe(ref row);
        right.StoreUnsafe(ref row, 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, ref float a, ref float b, ref float c, int ldc, bool accumulate)
    {
        var c00 = Vector256<float>.Zero;
        var c01 = Vector256<float>.Zero;
        var c10 = Vector256<float>.Zero;
        var c11 = Vector256<float>.Zero;
        var c20 = Vector256<float>.Zero;
        var c21 = Vector256<float>.Zero;
        var c30 = Vector256<float>.Zero;
        var c31 = Vector256<float>.Zero;
        var c40 = Vector256<float>.Zero;
        var c41 = Vector256<float>.Zero;
        var c50 = Vector256<float>.Zero;
        var c51 = Vector256<float>.Zero;

        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref b);
            var b1 = Vector256.LoadUnsafe(ref b, 8);
            var a0 = Vector256.Create(a);
            c00 = Vector256.MultiplyAddEstimate(a0, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(a0, b1, c01);
            var a1 = Vector256.Create(Unsafe.Add(ref a, 1));
            c10 = Vector256.MultiplyAddEstimate(a1, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(a1, b1, c11);
            var a2 = Vector256.Create(Unsafe.Add(ref a, 2));
            c20 = Vector256.MultiplyAddEstimate(a2, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(a2, b1, c21);
            var a3 = Vector256.Create(Unsafe.Add(ref a, 3));
            c30 = Vector256.MultiplyAddEstimate(a3, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(a3, b1, c31);
            var a4 = Vector256.Create(Unsafe.Add(ref a, 4));
            c40 = Vector256.MultiplyAddEstimate(a4, b0, c40);
            c41 = Vector256.MultiplyAddEstimate(a4, b1, c41);
            var a5 = Vector256.Create(Unsafe.Add(ref a, 5));
            c50 = Vector256.MultiplyAddEstimate(a5, b0, c50);
            c51 = Vector256.MultiplyAddEstimate(a5, b1, c51);
            a = ref Unsafe.Add(ref a, 6);
            b = ref Unsafe.Add(ref b, 16);
        }

        Store256(ref c, c00, c01, accumulate);
        Store256(ref Unsafe.Add(ref c, ldc), c10, c11, accumulate);
        Store256(ref Unsafe.Add(ref c, 2 * ldc), c20, c21, accumulate);
        Store256(ref Unsafe.Add(ref c, 3 * ldc), c30, c31, accumulate);
        Store256(ref Unsafe.Add(ref c, 4 * ldc), c40, c41, accumulate);
        Store256(ref Unsafe.Add(ref c, 5 * ldc), c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(ref float row, Vector256<float> left, Vector256<float> right, bool accumulate)
    {
        if (accumulate)
        {
            left += Vector256.LoadUnsafe(ref row);
            right += Vector256.LoadUnsafe(ref row, 8);
        }

        left.StoreUnsafe(ref row);
        right.StoreUnsafe(ref row, 8);
    }
}
