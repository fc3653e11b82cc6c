using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using OmePortal.Core.Mime;
using OmePortal.Data;

namespace OmePortal.Web.Access;

/// <summary>A session that <see cref="RecipientSessions.ValidateAsync"/> found live.</summary>
public sealed record LiveSession(RecipientSession Session, bool AddressHasPasskey);

/// <summary>
/// Recipient sessions held on the server (docs/ARCHITECTURE.md §7): 30 minutes idle, 12 hours absolute, a new
/// random identifier at every sign-in, and sign-out that ends the session for every copy of the cookie.
/// </summary>
public sealed class RecipientSessions(OmePortalDbContext db, TimeProvider time)
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan AbsoluteTimeout = TimeSpan.FromHours(12);

    // Touching the row on every request would turn each page view into a write; a minute is precise enough.
    private static readonly TimeSpan TouchGranularity = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Starts a session for a verified address; returns the cookie value (shown to nobody else, stored hashed).
    /// <paramref name="passkeyId"/> is the passkey that signed it in, if one did: removing that passkey ends it.
    /// </summary>
    public async Task<string> StartAsync(string address, string method, CancellationToken cancellationToken, Guid? passkeyId = null)
    {
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        db.RecipientSessions.Add(new RecipientSession
        {
            Id = Guid.CreateVersion7(now),
            TokenHash = Hash(token),
            // Normalised, as passkeys store it (ValidateAsync compares the two in SQL).
            Address = AddressNormalizer.Normalize(address),
            Method = method,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + AbsoluteTimeout,
            PasskeyId = passkeyId,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    /// <summary>
    /// The live session for a cookie value, or null when unknown, ended, idle too long or past its
    /// absolute limit; with whether its address has a passkey (the layout offers one until it has: asked
    /// here, in the same query, rather than by a query of its own on every page).
    /// </summary>
    public async Task<LiveSession?> ValidateAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
        {
            return null;
        }

        var found = await BySessionHash.For(db)(db, Hash(token), cancellationToken);
        var session = found?.Session;
        var now = time.GetUtcNow();
        if (session is null || session.EndedAt is not null || session.ExpiresAt <= now || session.LastSeenAt + IdleTimeout <= now)
        {
            return null;
        }

        if (now - session.LastSeenAt >= TouchGranularity)
        {
            await TouchAsync(session.Id, now, cancellationToken);
        }

        return new LiveSession(session, found!.HasPasskey);
    }

    // Sessions being touched by a request of this process right now.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> Touching = new();

    /// <summary>
    /// A page, its body frame and its images arrive together, so when a minute has passed several
    /// requests of one session find it due at once. Only one of them in this process writes; the
    /// update is conditional, so of several processes only the first changes the row. Writers queue on
    /// SQLite's single write lock (its busy handler sleeps for milliseconds at a time) and each commit
    /// is an fsync: one write instead of a dozen keeps that out of the readers' response times.
    /// </summary>
    private async Task TouchAsync(Guid sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!Touching.TryAdd(sessionId, 0))
        {
            return;
        }

        try
        {
            var due = now - TouchGranularity;
            await db.RecipientSessions
                .Where(s => s.Id == sessionId && s.LastSeenAt <= due)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        }
        finally
        {
            Touching.TryRemove(sessionId, out _);
        }
    }

    public async Task EndAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow();
        await db.RecipientSessions.Where(s => s.TokenHash == hash && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
    }

    /// <summary>The live sessions of <paramref name="address"/>, newest first (the recipient's own list on /security).</summary>
    public async Task<IReadOnlyList<RecipientSession>> LiveOfAddressAsync(string address, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var now = time.GetUtcNow();
        var idleSince = now - IdleTimeout;
        return await db.RecipientSessions.AsNoTracking()
            .Where(s => s.Address == address && s.EndedAt == null && s.ExpiresAt > now && s.LastSeenAt > idleSince)
            .OrderByDescending(s => s.CreatedAt)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Ends one session of <paramref name="address"/>; false when there is no such live session of that
    /// address (another address's session is never touched, whatever id is asked for).
    /// </summary>
    public async Task<bool> EndOfAddressAsync(string address, Guid sessionId, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var now = time.GetUtcNow();
        return await db.RecipientSessions.Where(s => s.Id == sessionId && s.Address == address && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken) == 1;
    }

    /// <summary>Ends every session of <paramref name="address"/> except <paramref name="keep"/>; returns how many.</summary>
    public async Task<int> EndOthersOfAddressAsync(string address, Guid keep, CancellationToken cancellationToken)
    {
        address = AddressNormalizer.Normalize(address);
        var now = time.GetUtcNow();
        return await db.RecipientSessions.Where(s => s.Address == address && s.Id != keep && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
    }

    /// <summary>Ends the sessions a passkey signed in (when it is removed); returns how many.</summary>
    public async Task<int> EndSignedInByAsync(Guid passkeyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.RecipientSessions.Where(s => s.PasskeyId == passkeyId && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
    }

    private static readonly CompiledPerModel<Func<OmePortalDbContext, byte[], CancellationToken, Task<SessionRow?>>> BySessionHash = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, byte[] hash, CancellationToken _) => db.RecipientSessions.AsNoTracking()
            .Where(s => s.TokenHash == hash)
            .Select(s => new SessionRow(s, db.PasskeyCredentials.Any(c => c.Address == s.Address)))
            .FirstOrDefault()));

    private sealed record SessionRow(RecipientSession Session, bool HasPasskey);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));
}
