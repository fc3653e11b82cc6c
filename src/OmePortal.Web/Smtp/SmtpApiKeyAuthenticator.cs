using OmePortal.Web.Tenancy;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Protocol;

namespace OmePortal.Web.Smtp;

/// <summary>
/// AUTH PLAIN/LOGIN for the API-key connector: the user name is ignored, the password must be a valid
/// tenant API key. SmtpServer offers AUTH only on a TLS session (AllowUnsecureAuthentication is off).
/// </summary>
internal sealed class SmtpApiKeyAuthenticator(IServiceScopeFactory scopes, SmtpClientLimits limits, ILogger<SmtpApiKeyAuthenticator> logger) : IUserAuthenticator
{
    public async Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
        // Checked before the key: a client guessing keys learns nothing more, even with a right one, until it slows down.
        var remote = SmtpSessionState.RemoteAddress(context);
        if (limits.IsAuthenticationThrottled(remote))
        {
            SmtpLog.AuthenticationThrottled(logger, context.SessionId, remote);
            throw new SmtpResponseException(SmtpReplies.AuthenticationThrottled, quit: true);
        }

        Guid? tenantId;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            tenantId = await scope.ServiceProvider.GetRequiredService<ApiKeys>().AuthenticateAsync(password, cancellationToken);
        }
        catch (Exception exception)
        {
            SmtpLog.AuthenticationError(logger, context.SessionId, exception);
            throw SmtpReplies.Refuse(SmtpReplies.AuthenticationUnavailable);
        }

        var state = SmtpSessionState.Get(context);
        if (tenantId is not Guid tenant)
        {
            limits.RecordAuthenticationFailure(remote);
            SmtpLog.AuthenticationFailed(logger, context.SessionId, remote);
            return false;
        }

        state.AuthenticatedTenant = tenant;
        state.AuthenticatedKeyHash = ApiKeys.Hash(password);
        SmtpLog.Authenticated(logger, context.SessionId, tenant);
        return true;
    }
}
