using System.Collections.Concurrent;
using System.Security.Cryptography;
using OmePortal.Core.Vault;

namespace OmePortal.Web.Vault;

/// <summary>
/// Unwrapped message keys, kept for a few seconds. Opening a message costs a page and a body frame
/// (and an image or attachment) within the same second, and .NET does AES-KWP as one ECB call per
/// block: unwrapping was a twentieth of a reading request's CPU under load (bench/RESULTS.md).
/// </summary>
/// <remarks>
/// <para>A key is handed out only when the message row read by this request still holds the very
/// wrapped bytes under the same tenant key version it was unwrapped from. So a shredded message
/// (wrapped key deleted, on any node) or a re-wrapped one never gets a key from here; the memo can
/// only spare work, never widen access. <see cref="Forget"/> after shredding is for hygiene: the
/// key's bytes are zeroed at once rather than at the next sweep.</para>
/// <para>Callers get their own copy, which they dispose; the memo's copy is zeroed when it expires or is
/// pushed out (size bound <see cref="Capacity"/>). Expired entries are swept every <see cref="Lifetime"/>.</para>
/// </remarks>
public sealed class MessageKeyMemo : IDisposable
{
    /// <summary>How long an unwrapped key is kept after it was unwrapped.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>At most this many keys are kept; beyond it the expired go first, then all.</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<Guid, Entry> _entries = new();
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public MessageKeyMemo(TimeProvider time)
    {
        _time = time;
        _sweeper = time.CreateTimer(static state => ((MessageKeyMemo)state!).Sweep(), this, Lifetime, Lifetime);
    }

    internal int Count => _entries.Count;

    /// <summary>A copy of the key unwrapped earlier from exactly these wrapped bytes, if one is still kept.</summary>
    public bool TryCopy(Guid messageId, int keyVersion, ReadOnlySpan<byte> wrapped, out MessageKey key)
    {
        key = null!;
        if (!_entries.TryGetValue(messageId, out var entry))
        {
            return false;
        }

        if (entry.ExpiresAt <= _time.GetUtcNow())
        {
            Drop(messageId, entry);
            return false;
        }

        return entry.KeyVersion == keyVersion
            && CryptographicOperations.FixedTimeEquals(entry.Wrapped, wrapped)
            && entry.TryCopy(out key);
    }

    /// <summary>Keeps a copy of <paramref name="key"/>, just unwrapped from <paramref name="wrapped"/>; the caller keeps (and disposes) its own.</summary>
    public void Remember(Guid messageId, int keyVersion, ReadOnlySpan<byte> wrapped, MessageKey key)
    {
        if (_entries.Count >= Capacity)
        {
            Sweep();
            if (_entries.Count >= Capacity)
            {
                Clear();
            }
        }

        var entry = new Entry(keyVersion, wrapped.ToArray(), key.Copy(), _time.GetUtcNow() + Lifetime);
        _entries.AddOrUpdate(messageId, entry, (_, previous) =>
        {
            previous.Dispose();
            return entry;
        });
    }

    /// <summary>Zeroes and drops the message's key, if kept (after it was shredded).</summary>
    public void Forget(Guid messageId)
    {
        if (_entries.TryRemove(messageId, out var entry))
        {
            entry.Dispose();
        }
    }

    internal void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (id, entry) in _entries)
        {
            if (entry.ExpiresAt <= now)
            {
                Drop(id, entry);
            }
        }
    }

    private void Drop(Guid messageId, Entry entry)
    {
        // Only this entry: a fresher one put there meanwhile stays.
        if (_entries.TryRemove(KeyValuePair.Create(messageId, entry)))
        {
            entry.Dispose();
        }
    }

    private void Clear()
    {
        foreach (var (id, entry) in _entries)
        {
            Drop(id, entry);
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        Clear();
    }

    private sealed class Entry(int keyVersion, byte[] wrapped, MessageKey key, DateTimeOffset expiresAt) : IDisposable
    {
        // Copying and zeroing must not interleave, or a reader could copy a half-zeroed key.
        private readonly Lock _gate = new();
        private bool _disposed;

        public int KeyVersion { get; } = keyVersion;

        public byte[] Wrapped { get; } = wrapped;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public bool TryCopy(out MessageKey copy)
        {
            lock (_gate)
            {
                copy = _disposed ? null! : key.Copy();
                return !_disposed;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                key.Dispose();
            }
        }
    }
}
