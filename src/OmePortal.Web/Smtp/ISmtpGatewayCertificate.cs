using System.Security.Cryptography.X509Certificates;

namespace OmePortal.Web.Smtp;

/// <summary>The certificate the SMTP gateway offers with STARTTLS, for the admin's setup checklist.</summary>
public interface ISmtpGatewayCertificate
{
    /// <summary>The certificate in use once the gateway started; null while stopped or disabled.</summary>
    X509Certificate2? Certificate { get; }
}
