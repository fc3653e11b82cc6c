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

    /// <summary>Starts a session for a verified address; returns the cookie value (shown to nobody else, stored hashed).</summary>
    public async Task<string> StartAsync(string address, string method, CancellationToken cancellationToken)
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

    private static readonly CompiledPerModel<Func<OmePortalDbContext, byte[], CancellationToken, Task<SessionRow?>>> BySessionHash = new(
        static () => EF.CompileAsyncQuery((OmePortalDbContext db, byte[] hash, CancellationToken _) => db.RecipientSessions.AsNoTracking()
            .Where(s => s.TokenHash == hash)
            .Select(s => new SessionRow(s, db.PasskeyCredentials.Any(c => c.Address == s.Address)))
            .FirstOrDefault()));

    private sealed record SessionRow(RecipientSession Session, bool HasPasskey);

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.ASCII.GetBytes(token));
}
