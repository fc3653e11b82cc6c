using System.Diagnostics;
using System.Security.Cryptography;
using OmePortal.Core.Vault;

namespace OmePortal.Bench;

/// <summary>
/// (a) Vault streaming encryption and decryption against raw AesGcm over the same bytes in 64 KiB
/// chunks, in the same run. Memory to memory, one thread, so the ratio isolates the vault's own cost.
/// </summary>
public static class VaultBench
{
    private const int Chunk = 64 * 1024;

    public static void Run(Report report)
    {
        report.Line("## (a) Vault streaming vs raw AesGcm (MB/s, median of 7, one thread)");
        report.Line();
        report.Line("Two baselines over the same bytes: raw AesGcm array to array (no I/O at all), and raw AesGcm");
        report.Line("stream to stream with the same 64 KiB chunks and the same MemoryStreams as the vault (what any");
        report.Line("streaming encryptor must pay). Ratios are vault ÷ baseline.");
        report.Line();
        report.Line("| size | raw enc (arrays) | raw enc (streams) | vault enc | ratio arrays / streams | raw dec (arrays) | raw dec (streams) | vault dec | ratio arrays / streams |");
        report.Line("|---|---|---|---|---|---|---|---|---|");
        foreach (var size in new[] { 20 * 1024, 1024 * 1024, 25 * 1024 * 1024 })
        {
            var plaintext = RandomNumberGenerator.GetBytes(size);
            using var key = MessageKey.Generate();
            var context = new BlobContext(Guid.NewGuid(), Guid.NewGuid(), BlobPurpose.Content);
            var rawKey = RandomNumberGenerator.GetBytes(32);
            var iterations = Math.Max(3, (int)(200L * 1024 * 1024 / size));
            iterations = Math.Min(iterations, 5000);

            var ciphertext = new MemoryStream((int)VaultStream.CiphertextLength(size));
            var rawOut = new byte[size + (size / Chunk + 1) * 16];
            var plainOut = new MemoryStream(size);

            double rawEnc = Measure(size, iterations, () => RawEncrypt(rawKey, plaintext, rawOut));
            var rawStreamOut = new MemoryStream(rawOut.Length);
            double rawStreamEnc = Measure(size, iterations, () =>
            {
                rawStreamOut.SetLength(0);
                RawStreamEncrypt(rawKey, new MemoryStream(plaintext, writable: false), rawStreamOut);
            });
            double vaultEnc = Measure(size, iterations, () =>
            {
                ciphertext.SetLength(0);
                VaultStream.EncryptAsync(key, context, new MemoryStream(plaintext, writable: false), ciphertext).GetAwaiter().GetResult();
            });
            var sealedBytes = ciphertext.ToArray();
            RawEncrypt(rawKey, plaintext, rawOut);
            double rawDec = Measure(size, iterations, () => RawDecrypt(rawKey, rawOut, size, plainOut.GetBuffer()));
            var rawSealed = rawStreamOut.ToArray();
            var rawPlainOut = new MemoryStream(size);
            double rawStreamDec = Measure(size, iterations, () =>
            {
                rawPlainOut.SetLength(0);
                RawStreamDecrypt(rawKey, new MemoryStream(rawSealed, writable: false), rawPlainOut);
            });
            double vaultDec = Measure(size, iterations, () =>
            {
                plainOut.SetLength(0);
                using var reader = VaultStream.OpenDecrypt(key, context, new MemoryStream(sealedBytes, writable: false));
                reader.CopyTo(plainOut, Chunk);
            });
            if (!plainOut.ToArray().AsSpan().SequenceEqual(plaintext))
            {
                throw new InvalidOperationException("Vault round trip mismatch.");
            }

            report.Line($"| {Size(size)} | {rawEnc:F0} | {rawStreamEnc:F0} | {vaultEnc:F0} | {vaultEnc / rawEnc:P0} / {vaultEnc / rawStreamEnc:P0} | {rawDec:F0} | {rawStreamDec:F0} | {vaultDec:F0} | {vaultDec / rawDec:P0} / {vaultDec / rawStreamDec:P0} |");
        }

        report.Line();
    }

    private static void RawEncrypt(byte[] key, byte[] plaintext, byte[] output)
    {
        using var gcm = new AesGcm(key, 16);
        Span<byte> nonce = stackalloc byte[12];
        var written = 0;
        for (int offset = 0, i = 0; offset < plaintext.Length || (offset == 0 && plaintext.Length == 0); offset += Chunk, i++)
        {
            var length = Math.Min(Chunk, plaintext.Length - offset);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i);
            gcm.Encrypt(nonce, plaintext.AsSpan(offset, length), output.AsSpan(written, length), output.AsSpan(written + length, 16));
            written += length + 16;
            if (length == 0)
            {
                break;
            }
        }
    }

    private static void RawStreamEncrypt(byte[] key, Stream input, Stream output)
    {
        using var gcm = new AesGcm(key, 16);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Chunk + 16);
        Span<byte> nonce = stackalloc byte[12];
        var i = 0;
        int read;
        while ((read = input.ReadAtLeast(buffer.AsSpan(0, Chunk), Chunk, throwOnEndOfStream: false)) > 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i++);
            var data = buffer.AsSpan(0, read);
            gcm.Encrypt(nonce, data, data, buffer.AsSpan(read, 16));
            output.Write(buffer, 0, read + 16);
        }

        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }

    private static void RawStreamDecrypt(byte[] key, Stream input, Stream output)
    {
        using var gcm = new AesGcm(key, 16);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(Chunk + 16);
        Span<byte> nonce = stackalloc byte[12];
        var i = 0;
        int read;
        while ((read = input.ReadAtLeast(buffer.AsSpan(0, Chunk + 16), Chunk + 16, throwOnEndOfStream: false)) > 0)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i++);
            var data = buffer.AsSpan(0, read - 16);
            gcm.Decrypt(nonce, data, buffer.AsSpan(read - 16, 16), data);
            output.Write(buffer, 0, read - 16);
        }

        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }

    private static void RawDecrypt(byte[] key, byte[] input, int plaintextLength, byte[] output)
    {
        using var gcm = new AesGcm(key, 16);
        Span<byte> nonce = stackalloc byte[12];
        var read = 0;
        for (int offset = 0, i = 0; offset < plaintextLength; offset += Chunk, i++)
        {
            var length = Math.Min(Chunk, plaintextLength - offset);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i);
            gcm.Decrypt(nonce, input.AsSpan(read, length), input.AsSpan(read + length, 16), output.AsSpan(offset, length));
            read += length + 16;
        }
    }

    private static double Measure(int size, int iterations, Action action)
    {
        for (var i = 0; i < Math.Min(iterations, 20); i++)
        {
            action();
        }

        var samples = new List<double>();
        for (var run = 0; run < 7; run++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                action();
            }

            watch.Stop();
            samples.Add((double)size * iterations / (1024 * 1024) / watch.Elapsed.TotalSeconds);
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    public static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MB" : $"{bytes / 1024} KB";
}
