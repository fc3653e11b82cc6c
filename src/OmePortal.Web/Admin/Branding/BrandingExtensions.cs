namespace OmePortal.Web.Admin.Branding;

public static class BrandingExtensions
{
    /// <summary>The admin's branding templates: the template service and the preview drafts.</summary>
    public static WebApplicationBuilder AddBranding(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<BrandTemplateService>();
        builder.Services.AddSingleton<BrandPreviewDrafts>();
        builder.Services.AddScoped<BrandPreviewSettings>();
        builder.Services.AddScoped<IBrandTemplateReferences, RuleTemplateReferences>();
        return builder;
    }
}
