using OmePortal.Web.Tenancy;
using SmtpServer;
using SmtpServer.Authentication;

namespace OmePortal.Web.Smtp;

/// <summary>
/// AUTH PLAIN/LOGIN for the API-key connector: the user name is ignored, the password must be a valid
/// tenant API key. SmtpServer offers AUTH only on a TLS session (AllowUnsecureAuthentication is off).
/// </summary>
internal sealed class SmtpApiKeyAuthenticator(IServiceScopeFactory scopes, ILogger<SmtpApiKeyAuthenticator> logger) : IUserAuthenticator
{
    public async Task<bool> AuthenticateAsync(ISessionContext context, string user, string password, CancellationToken cancellationToken)
    {
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
            SmtpLog.AuthenticationFailed(logger, context.SessionId, SmtpSessionState.RemoteAddress(context));
            return false;
        }

        state.AuthenticatedTenant = tenant;
        SmtpLog.Authenticated(logger, context.SessionId, tenant);
        return true;
    }
}
