using System.Text;

namespace OmePortal.Core.Mime;

/// <summary>
/// The legacy charsets of mail (ISO-8859-15, Windows-1252, ...) for MimeKit. .NET has them only through
/// <see cref="CodePagesEncodingProvider"/>; until it is registered MimeKit decodes such text as ISO-8859-1,
/// so the euro sign of an ISO-8859-15 message became "¤" in its render model whenever it was the first
/// mail a fresh process parsed (a later one only because some library had registered it meanwhile).
/// </summary>
public static class MimeCharsets
{
    private static int _registered;

    /// <summary>Registers the code-page encodings for this process (once); call before decoding mail text.</summary>
    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        }
    }
}
