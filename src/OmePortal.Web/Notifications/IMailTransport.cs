using MimeKit;

namespace OmePortal.Web.Notifications;

/// <summary>Hands one finished mail to the outside world. Throws when it could not; the caller retries.</summary>
public interface IMailTransport
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}
