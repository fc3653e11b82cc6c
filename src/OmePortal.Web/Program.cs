using OmePortal.Web.Admin.Branding;
using OmePortal.Web.Audit;
using OmePortal.Web.Home;
using OmePortal.Web.Hosting;
using OmePortal.Web.Intake;
using OmePortal.Web.Portal;
using OmePortal.Web.Tenancy;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,

    // Content (appsettings, web root, built-in brand) ships beside the binaries, whatever the working directory.
    ContentRootPath = AppContext.BaseDirectory,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
});

// The documented default address, unless the operator chose one (ASPNETCORE_URLS, --urls, ...).
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
{
    builder.WebHost.UseUrls("http://localhost:5080");
}

builder.AddPortalHosting();
builder.AddHome();
builder.AddStorage();
builder.AddRedis();
builder.AddAudit();
builder.AddVault();
builder.AddTenancy();
builder.AddIntake();
builder.AddNotifications();
builder.AddSmtpGateway();
builder.AddRules();
builder.AddRecipientAccess();
builder.AddPortal();
builder.AddPasskeys();
builder.AddExternalSignIn();
builder.AddReading();
builder.AddPreviews();
builder.AddPreviewViewer();
builder.AddReplies();
builder.AddAdmin();
builder.AddBranding();
builder.AddRevocation();
builder.AddKeysAdmin();
builder.AddRecipientKeys();
builder.AddEndToEnd();
builder.AddTelemetry();

var app = builder.Build();
if (await Commands.TryRunAsync(app, args))
{
    return;
}

await app.Services.GetRequiredService<PortalInitializer>().InitializeAsync(app.Lifetime.ApplicationStopping);

app.UsePortalPipeline();
app.UseAdmin();
app.MapHealth();
app.MapTelemetry();
app.MapLanguageSwitch();
app.MapMessagesApi();
app.MapRecipientKeysApi();
app.MapPortal();
app.MapReading();
app.MapPreviewViewer();
app.MapReplies();
app.MapPasskeys();
app.MapAdmin();
app.MapExternalSignIn();
app.MapRazorPages();
if (app.Environment.IsDevelopment())
{
    app.MapDevOutbox();
}

await app.RunAsync();

public partial class Program;
