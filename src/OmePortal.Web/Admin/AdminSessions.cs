using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using OmePortal.Web.Hosting;

namespace OmePortal.Web.Admin;

/// <summary>One of an admin's live sessions, for their list.</summary>
public sealed record AdminSessionItem(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset LastSeenAt, string? ClientAddress, string? UserAgent, bool IsCurrent);

/// <summary>
/// Admin sessions held on the server (<see cref="AdminSession"/>). Every admin cookie carries the id of
/// its session row (<see cref="AdminAuthentication.SessionClaim"/>), added when the cookie is issued, and
/// every request that authenticates the admin cookie checks the row: ended, past the absolute lifetime or
/// gone means the cookie no longer signs anyone in, for every copy of it. The check reads one row by its
/// key; admin traffic is small, so no cache stands between an ended session and the next request.
/// </summary>
public sealed class AdminSessions(OmePortalDbContext db, TimeProvider time, IOptions<AdminOptions> options)
{
    // Touching the row on every request would turn each admin page view into a write; a minute is precise enough.
    private static readonly TimeSpan TouchGranularity = TimeSpan.FromMinutes(1);

    private const int UserAgentLength = 200;

    public async Task<Guid> StartAsync(Guid adminUserId, HttpContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var agent = context.Request.Headers.UserAgent.ToString();
        var session = new AdminSession
        {
            Id = Guid.CreateVersion7(now),
            AdminUserId = adminUserId,
            CreatedAt = now,
            LastSeenAt = now,
            ClientAddress = ClientAddress.ClientOf(context.Connection.RemoteIpAddress)?.ToString(),
            UserAgent = agent.Length == 0 ? null : agent[..Math.Min(agent.Length, UserAgentLength)],
        };
        db.AdminSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return session.Id;
    }

    /// <summary>True when the session is the admin's, not ended and within the absolute lifetime; notes the activity.</summary>
    public async Task<bool> IsLiveAsync(Guid sessionId, Guid adminUserId, CancellationToken cancellationToken)
    {
        var session = await db.AdminSessions.AsNoTracking()
            .Where(s => s.Id == sessionId && s.AdminUserId == adminUserId)
            .Select(s => new { s.CreatedAt, s.LastSeenAt, s.EndedAt })
            .FirstOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (session is null || session.EndedAt is not null || session.CreatedAt + options.Value.SessionAbsoluteLifetime <= now)
        {
            return false;
        }

        if (now - session.LastSeenAt >= TouchGranularity)
        {
            var due = now - TouchGranularity;
            await db.AdminSessions.Where(s => s.Id == sessionId && s.LastSeenAt <= due)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now), cancellationToken);
        }

        return true;
    }

    /// <summary>The admin's live sessions, newest first, <paramref name="currentSessionId"/> marked.</summary>
    public async Task<IReadOnlyList<AdminSessionItem>> ListAsync(Guid adminUserId, Guid? currentSessionId, CancellationToken cancellationToken)
    {
        var oldestLive = time.GetUtcNow() - options.Value.SessionAbsoluteLifetime;
        var rows = await db.AdminSessions.AsNoTracking()
            .Where(s => s.AdminUserId == adminUserId && s.EndedAt == null && s.CreatedAt > oldestLive)
            .OrderByDescending(s => s.CreatedAt)
            .ToListAsync(cancellationToken);
        return [.. rows.Select(s => new AdminSessionItem(s.Id, s.CreatedAt, s.LastSeenAt, s.ClientAddress, s.UserAgent, s.Id == currentSessionId))];
    }

    /// <summary>Ends one session of the admin; false when it is not theirs or has ended already.</summary>
    public async Task<bool> EndAsync(Guid sessionId, Guid adminUserId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await db.AdminSessions.Where(s => s.Id == sessionId && s.AdminUserId == adminUserId && s.EndedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken) == 1;
    }

    /// <summary>Ends every session of the admin except <paramref name="keep"/> (none kept when null); returns how many ended.</summary>
    public Task<int> EndAllAsync(Guid adminUserId, Guid? keep, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.AdminSessions.Where(s => s.AdminUserId == adminUserId && s.EndedAt == null && s.Id != keep)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), cancellationToken);
    }

    /// <summary>The session id the admin cookie of this request carries.</summary>
    public static Guid? CurrentId(ClaimsPrincipal user) =>
        Guid.TryParse(user.AdminIdentity()?.FindFirst(AdminAuthentication.SessionClaim)?.Value, out var id) ? id : null;

    /// <summary>
    /// Cookie event: every admin cookie being issued gets a new session row, whatever signed the admin in
    /// (password, authenticator, enrolment, passkey). A session the request already had (the password-only
    /// session before enrolment) ends, so no earlier cookie outlives the sign-in that replaced it. A
    /// re-issue that names the live session of the same admin (after a password change) keeps it.
    /// </summary>
    public static async Task OnSigningInAsync(CookieSigningInContext context)
    {
        var identity = context.Principal?.Identities.FirstOrDefault(i => i.AuthenticationType == AdminAuthentication.Scheme);
        if (identity is null || !Guid.TryParse(identity.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var userId))
        {
            return;
        }

        var sessions = context.HttpContext.RequestServices.GetRequiredService<AdminSessions>();
        var cancellationToken = context.HttpContext.RequestAborted;
        var kept = identity.FindAll(AdminAuthentication.SessionClaim).ToList();
        if (kept.Count == 1 && Guid.TryParse(kept[0].Value, out var keptId) && await sessions.IsLiveAsync(keptId, userId, cancellationToken))
        {
            return;
        }

        foreach (var claim in kept)
        {
            identity.RemoveClaim(claim);
        }

        if (CurrentId(context.HttpContext.User) is { } previous)
        {
            await sessions.EndAsync(previous, userId, cancellationToken);
        }

        var sessionId = await sessions.StartAsync(userId, context.HttpContext, cancellationToken);
        identity.AddClaim(new Claim(AdminAuthentication.SessionClaim, sessionId.ToString()));
    }

    /// <summary>
    /// Cookie event, after Identity's security stamp check: the cookie's session must be live. A cookie
    /// without a session (issued before sessions were kept) is refused as well.
    /// </summary>
    public static async Task OnValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var identity = context.Principal?.Identities.FirstOrDefault(i => i.AuthenticationType == AdminAuthentication.Scheme);
        if (identity is null)
        {
            return;
        }

        var live = Guid.TryParse(identity.FindFirst(AdminAuthentication.SessionClaim)?.Value, out var sessionId)
            && Guid.TryParse(identity.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var userId)
            && await context.HttpContext.RequestServices.GetRequiredService<AdminSessions>().IsLiveAsync(sessionId, userId, context.HttpContext.RequestAborted);
        if (!live)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AdminAuthentication.Scheme);
        }
    }
}
