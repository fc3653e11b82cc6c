using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OmePortal.Testing;
using OmePortal.Web.Hosting;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Tests.Hosting;

/// <summary>The remembering localizers answer exactly what the resource manager answers, in whichever culture is current.</summary>
public sealed class CachingStringLocalizerTests
{
    private static readonly ResourceManagerStringLocalizerFactory Plain = new(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance);

    private static readonly Type[] Resources = [.. typeof(ReadingResource).Assembly.GetTypes()
        .Where(t => t.Namespace?.StartsWith("OmePortal.Web", StringComparison.Ordinal) == true && t.IsSealed && !t.IsNested
            && t.Name.EndsWith("Resource", StringComparison.Ordinal) && t.GetConstructor(Type.EmptyTypes) is not null && t.GetMembers(System.Reflection.BindingFlags.DeclaredOnly | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Length <= 1)];

    [Fact]
    public void EveryString_OfEveryResource_IsTheResourceManagersOwn_InEnglishAndDutch_AlternatingCultures()
    {
        Assert.True(Resources.Length >= 10, $"found only {Resources.Length} resource anchors");
        var caching = new CachingStringLocalizerFactory(Plain);
        var compared = 0;
        foreach (var type in Resources)
        {
            var names = InCulture("en", () => Plain.Create(type).GetAllStrings(includeParentCultures: true).Select(s => s.Name).ToList());
            Assert.NotEmpty(names);
            var remembering = caching.Create(type);

            // Twice round, switching culture per string: the second pass answers from memory.
            for (var pass = 0; pass < 2; pass++)
            {
                foreach (var name in names)
                {
                    foreach (var culture in new[] { "nl", "en" })
                    {
                        var expected = InCulture(culture, () => Plain.Create(type)[name]);
                        var actual = InCulture(culture, () => remembering[name]);
                        Assert.Equal((expected.Value, expected.ResourceNotFound), (actual.Value, actual.ResourceNotFound));
                        compared++;
                    }
                }
            }
        }

        Assert.True(compared > 400, $"compared only {compared} strings");
        Assert.Equal("Aangemeld als ann@example.nl", InCulture("nl", () => caching.Create(typeof(AccessResource))["SignedInAs", "ann@example.nl"].Value));
    }

    [Fact]
    public void Arguments_AreFormattedInTheCurrentCulture_EachTime()
    {
        var remembering = new CachingStringLocalizerFactory(Plain).Create(typeof(ReadingResource));
        foreach (var culture in new[] { "en", "nl", "en" })
        {
            var expected = InCulture(culture, () => Plain.Create(typeof(ReadingResource))["ImagesBlockedMany", 1234.5].Value);
            Assert.Equal(expected, InCulture(culture, () => remembering["ImagesBlockedMany", 1234.5].Value));
        }

        Assert.Contains("1234,5", InCulture("nl", () => remembering["ImagesBlockedMany", 1234.5].Value), StringComparison.Ordinal);
        Assert.Contains("1234.5", InCulture("en", () => remembering["ImagesBlockedMany", 1234.5].Value), StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingName_IsReportedAsMissing_AndIsItsOwnFormat()
    {
        var remembering = new CachingStringLocalizerFactory(Plain).Create(typeof(ReadingResource));

        var missing = InCulture("nl", () => remembering["NoSuchString"]);
        var formatted = InCulture("nl", () => remembering["No such {0}", "string"]);

        Assert.True(missing.ResourceNotFound);
        Assert.Equal("NoSuchString", missing.Value);
        Assert.True(formatted.ResourceNotFound);
        Assert.Equal("No such string", formatted.Value);
    }

    [Fact]
    public void NamesBeyondTheBound_AreAnsweredButNotRemembered()
    {
        var remembering = (CachingStringLocalizer)new CachingStringLocalizerFactory(Plain).Create(typeof(ReadingResource));
        for (var i = 0; i < CachingStringLocalizer.MaxEntries + 50; i++)
        {
            Assert.Equal($"n{i}", InCulture("en", () => remembering[$"n{i}"].Value));
        }

        Assert.Equal(CachingStringLocalizer.MaxEntries, remembering.Count);
    }

    [Fact]
    public async Task ThePortal_LocalizesThroughTheRememberingFactory()
    {
        await using var host = await new PortalHost().StartAsync();

        var factory = Assert.IsType<CachingStringLocalizerFactory>(host.Services.GetRequiredService<IStringLocalizerFactory>());
        Assert.Same(factory.Create(typeof(ReadingResource)), factory.Create(typeof(ReadingResource)));
        var reading = host.Services.GetRequiredService<IStringLocalizer<ReadingResource>>();
        Assert.Equal(InCulture("nl", () => Plain.Create(typeof(ReadingResource))["BackToInbox"].Value), InCulture("nl", () => reading["BackToInbox"].Value));
    }

    private static T InCulture<T>(string name, Func<T> read)
    {
        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(name);
            return read();
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui);
        }
    }
}
