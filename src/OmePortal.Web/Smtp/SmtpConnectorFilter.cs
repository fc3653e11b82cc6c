using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OmePortal.Data;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace OmePortal.Web.Smtp;

/// <summary>
/// The connectors, decided at MAIL FROM: an authenticated session submits for its API key's tenant;
/// otherwise the peer must be in an allowed network and submits for the configured tenant; anyone
/// else gets 530. The tenant's size limit is checked against a declared SIZE here, and remembered
/// for the check of the actual data.
/// </summary>
internal sealed class SmtpConnectorFilter(
    IOptions<SmtpGatewayOptions> options,
    IOptions<IntakeOptions> intake,
    IServiceScopeFactory scopes,
    ILogger<SmtpConnectorFilter> logger) : IMailboxFilter
{
    private readonly SmtpGatewayOptions _options = options.Value;
    private readonly int _maxRecipients = intake.Value.MaxRecipients;
    private readonly NetworkAllowList _allowed = NetworkAllowList.Parse(options.Value.EffectiveAllowedNetworks);

    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        var state = SmtpSessionState.Get(context);
        state.ResetTransaction();

        if (_options.RequireTls && !context.Pipe.IsSecure)
        {
            SmtpLog.RefusedWithoutTls(logger, context.SessionId);
            throw SmtpReplies.Refuse(SmtpReplies.TlsRequired);
        }

        var authenticated = state.AuthenticatedTenant;
        if (authenticated is null)
        {
            var remote = SmtpSessionState.RemoteAddress(context);
            if (!_allowed.Contains(remote))
            {
                SmtpLog.RefusedUnknownNetwork(logger, context.SessionId, remote);
                throw SmtpReplies.Refuse(SmtpReplies.AuthenticationRequired);
            }
        }

        (Guid Id, long MaxMessageBytes)? tenant;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<OmePortalDbContext>();
            // A key revoked after this session authenticated stops it here, at its next transaction.
            if (state.AuthenticatedKeyHash is { } keyHash
                && !await db.ApiKeys.AsNoTracking().AnyAsync(k => k.KeyHash == keyHash && k.TenantId == authenticated && k.RevokedAt == null, cancellationToken))
            {
                SmtpLog.KeyRevoked(logger, context.SessionId);
                throw SmtpReplies.Refuse(SmtpReplies.KeyRevoked);
            }

            var query = db.Tenants.AsNoTracking();
            query = authenticated is Guid id ? query.Where(t => t.Id == id) : query.Where(t => t.Slug == _options.TenantSlug);
            var row = await query.Select(t => new { t.Id, t.MaxMessageBytes }).SingleOrDefaultAsync(cancellationToken);
            tenant = row is null ? null : (row.Id, row.MaxMessageBytes);
        }
        catch (Exception exception) when (exception is not SmtpResponseException)
        {
            SmtpLog.TenantLookupFailed(logger, context.SessionId, exception);
            throw SmtpReplies.Refuse(SmtpReplies.TemporaryFailure);
        }

        if (tenant is not { } found)
        {
            SmtpLog.UnknownTenant(logger, context.SessionId, authenticated?.ToString() ?? _options.TenantSlug);
            throw SmtpReplies.Refuse(SmtpReplies.NotConfigured);
        }

        var limit = EffectiveLimit(found.MaxMessageBytes);
        if (size > limit)
        {
            SmtpLog.DeclaredTooLarge(logger, context.SessionId, size, limit, found.Id);
            throw SmtpReplies.Refuse(SmtpReplies.TooLarge(limit));
        }

        state.BeginTransaction(found.Id, limit);
        return true;
    }

    public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        // Recipients are the tenant's business: the portal notifies whoever the sender addressed, up to the limit.
        var state = SmtpSessionState.Get(context);
        if (state.TransactionTenant is null)
        {
            throw SmtpReplies.Refuse(SmtpReplies.NoTransaction);
        }

        if (state.RecipientCount >= _maxRecipients)
        {
            SmtpLog.TooManyRecipients(logger, context.SessionId, _maxRecipients);
            throw SmtpReplies.Refuse(SmtpReplies.TooManyRecipients(_maxRecipients));
        }

        state.RecipientCount++;
        return Task.FromResult(true);
    }

    /// <summary>The smaller of the gateway-wide cap (if any) and the tenant's limit.</summary>
    public long EffectiveLimit(long tenantLimit) =>
        Math.Min(Math.Min(tenantLimit, _options.MaxMessageBytes ?? long.MaxValue), SmtpGatewayOptionsValidator.MaxSupportedMessageBytes);
}
