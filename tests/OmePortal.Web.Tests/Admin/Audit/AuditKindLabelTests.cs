using System.Globalization;
using System.Resources;
using OmePortal.Data;
using OmePortal.Web.Admin.Trace;

namespace OmePortal.Web.Tests.Admin.Audit;

/// <summary>
/// The audit viewer and the message trace name each event kind by its label (<c>Kind_&lt;name&gt;</c> in the
/// trace strings); a kind appended to the enum without one showed its raw key.
/// </summary>
public sealed class AuditKindLabelTests
{
    [Theory]
    [InlineData("en")]
    [InlineData("nl")]
    public void EveryAuditKind_HasALabel_InEnglishAndDutch(string language)
    {
        var resources = new ResourceManager(typeof(TraceResource).FullName!, typeof(TraceResource).Assembly);

        // Each culture's own set, without falling back to another language's label.
        var set = resources.GetResourceSet(language == "en" ? CultureInfo.InvariantCulture : CultureInfo.GetCultureInfo(language), createIfNotExists: true, tryParents: false)
            ?? throw new Xunit.Sdk.XunitException($"No {language} trace strings.");
        var missing = Enum.GetValues<AuditEventKind>().Where(kind => string.IsNullOrWhiteSpace(set.GetString("Kind_" + kind))).ToList();

        Assert.True(missing.Count == 0, $"No {language} label for: {string.Join(", ", missing)}");
    }
}
