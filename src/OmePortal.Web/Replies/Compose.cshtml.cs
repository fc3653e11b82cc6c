using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using OmePortal.Core.Access;
using OmePortal.Core.Intake;
using OmePortal.Core.Replies;
using OmePortal.Web.Access;
using OmePortal.Web.Reading;

namespace OmePortal.Web.Replies;

/// <summary>What the compose page shows.</summary>
public enum ComposeState
{
    Form,

    /// <summary>Not readable (not a recipient, expired, revoked, signed in a way the brand turned off): the reading pages' refusal.</summary>
    Unavailable,

    /// <summary>Forward of a Do-Not-Forward message (403).</summary>
    ForwardRefused,

    /// <summary>A reply or reply-all that tried to set its own recipients (403).</summary>
    RecipientsLocked,

    /// <summary>A reply that would go to nobody.</summary>
    NoRecipients,

    /// <summary>Over a reply quota (429) or the tenant's storage for replies (507): nothing stored, nothing sent.</summary>
    QuotaExceeded,
}

/// <summary>A message of the error summary, linked to the field it is about.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>
/// <c>/messages/{id}/reply?mode=reply|replyall|forward</c>: the compose form (GET) and sending (POST).
/// Like every page that touches a message it asks <see cref="RecipientAccess"/> first. The server
/// enforces Do-Not-Forward itself: a forward is refused (403) and a reply's recipients come from
/// the original only; a posted To, Cc or Bcc in a reply mode is refused (403) and nothing is stored.
/// </summary>
/// <remarks>
/// The POST body is read as a stream by <see cref="ReplyFormReader"/>, which validates the
/// antiforgery token from the form's first field before any upload is read; hence the automatic
/// antiforgery filter and form model binding (which would buffer the uploads to disk) are off here.
/// After sending, the replier (who is not a recipient of their own reply) goes back to the original,
/// which confirms whom it was sent to (<see cref="SentConfirmation"/>): POST-redirect-GET, so a refresh never sends again.
/// </remarks>
[Authorize(Policy = AccessExtensions.RecipientPolicy)]
[IgnoreAntiforgeryToken]
[NoFormBinding]
public sealed class ComposeModel(
    RecipientAccess access,
    MessageReader reader,
    ReplyComposer composer,
    ReplyFormReader forms,
    IOptions<RepliesOptions> options,
    IStringLocalizer<RepliesResource> text,
    OmePortal.Web.Portal.PageBrands brands) : PageModel
{
    public ComposeState State { get; private set; } = ComposeState.Form;

    public Unavailable? Refusal { get; private set; }

    /// <summary>With <see cref="ComposeState.QuotaExceeded"/>: the quota and its limit.</summary>
    public ReplySendResult.QuotaExceeded? Quota { get; private set; }

    public Guid MessageId { get; private set; }

    public ReplyMode Mode { get; private set; }

    public bool DoNotForward { get; private set; }

    public ReplyPlan? Plan { get; private set; }

    public string Subject { get; private set; } = string.Empty;

    public string Body { get; private set; } = string.Empty;

    public string? To { get; private set; }

    public List<FieldError> Errors { get; } = [];

    public ReplyFormLimits Limits { get; private set; } = new(0, 0, 0);

    public string ModeValue => ModeName(Mode);

    public string Action => $"/messages/{MessageId}/reply?mode={ModeValue}";

    public string MessageUrl => ReadingEndpoints.MessageUrl(MessageId);

    public string ErrorFor(string field) => string.Join(" ", Errors.Where(e => e.Field == field).Select(e => e.Message));

    public string FormatSize(long bytes) => bytes < 1024 * 1024
        ? text["Kilobytes", Math.Max(1, bytes / 1024).ToString(CultureInfo.CurrentUICulture)]
        : text["Megabytes", (bytes / (1024d * 1024d)).ToString("0.#", CultureInfo.CurrentUICulture)];

    public async Task<IActionResult> OnGetAsync()
    {
        var (refusal, opened) = await OpenAsync();
        if (refusal is not null)
        {
            return refusal;
        }

        Limits = await composer.LimitsAsync(opened!.Record.TenantId, HttpContext.RequestAborted);
        if (Mode != ReplyMode.Forward)
        {
            return PlanOrRefuse(opened) ?? Page();
        }

        Subject = ForwardSubject(opened);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var cancellationToken = HttpContext.RequestAborted;
        var (refusal, opened) = await OpenAsync();
        if (refusal is not null)
        {
            return refusal;
        }

        Limits = await composer.LimitsAsync(opened!.Record.TenantId, cancellationToken);
        using var form = await forms.ReadAsync(HttpContext, Limits, cancellationToken);
        if (form is null)
        {
            return BadRequest();
        }

        if (Mode != ReplyMode.Forward && form.RecipientFieldPosted)
        {
            // The reply forms have no recipient fields: this request was made by hand. Refused whatever the protection.
            return Show(ComposeState.RecipientsLocked, StatusCodes.Status403Forbidden);
        }

        Body = form.Body;
        To = form.To;
        var refused = Mode == ReplyMode.Forward ? null : PlanOrRefuse(opened);
        if (refused is not null)
        {
            return refused;
        }

        Subject = Plan?.Subject ?? ForwardSubject(opened);
        var status = CheckForm(form);
        if (Errors.Count == 0 && Mode == ReplyMode.Forward)
        {
            PlanForward(opened, form.To);
        }

        if (Errors.Count > 0)
        {
            if (form.FilesPosted)
            {
                Errors.Add(new FieldError(ReplyFormReader.AttachmentsField, text["ErrorChooseFilesAgain"]));
            }

            Response.StatusCode = status;
            return Page();
        }

        var texts = Texts();
        switch (await composer.SendAsync(opened, Plan!, Body, texts, form.Uploads, SessionId(), cancellationToken))
        {
            case ReplySendResult.Sent sent:
                Response.Headers.Location = MessageUrl + SentConfirmation.Query(sent.MessageId, Mode == ReplyMode.Forward);
                return new StatusCodeResult(StatusCodes.Status303SeeOther);
            case ReplySendResult.TooLarge tooLarge:
                Errors.Add(new FieldError(ReplyFormReader.AttachmentsField, text["ErrorMessageTooLarge", FormatSize(tooLarge.MaxBytes)]));
                Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return Page();
            case ReplySendResult.OriginalGone:
                return Unavailable((await access.DecideAsync(MessageId, User, cancellationToken)).Decision);
            case ReplySendResult.QuotaExceeded { Quota: ReplyQuota.ForwardNewRecipients } quota:
                // The person can fix this one: the form again, with what they wrote.
                Errors.Add(new FieldError(ReplyFormReader.ToField, text["ErrorForwardNewRecipients", quota.Limit]));
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return Page();
            case ReplySendResult.QuotaExceeded quota:
                Quota = quota;
                return Show(ComposeState.QuotaExceeded, quota.Quota == ReplyQuota.TenantStorage ? StatusCodes.Status507InsufficientStorage : StatusCodes.Status429TooManyRequests);
            case ReplySendResult.Failed:
                Errors.Add(new FieldError(ReplyFormReader.BodyField, text["ErrorSendFailed"]));
                Response.StatusCode = StatusCodes.Status400BadRequest;
                return Page();
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Asks the access decision and opens the original; a refusal is the result to return.</summary>
    private async Task<(IActionResult? Refusal, OpenedMessage? Opened)> OpenAsync()
    {
        ReadingHeaders.NoStore(Response);
        if (!Guid.TryParse(RouteData.Values["id"]?.ToString(), out var id) || !TryParseMode(Request.Query["mode"], out var mode))
        {
            return (NotFound(), null);
        }

        MessageId = id;
        Mode = mode;
        var result = await access.DecideAsync(id, User, HttpContext.RequestAborted);
        OmePortal.Web.Portal.PageBrandViewData.ShowBrand(this, brands.ForReader(result));
        var decision = result.Decision;
        switch (decision)
        {
            case AccessDecision.Granted granted:
                DoNotForward = granted.Protection == ProtectionLevel.DoNotForward;
                if (Mode == ReplyMode.Forward && DoNotForward)
                {
                    return (Show(ComposeState.ForwardRefused, StatusCodes.Status403Forbidden), null);
                }

                var opened = await reader.OpenAsync(result, HttpContext.RequestAborted);
                if (opened is null)
                {
                    // Shredded between the decision and the decryption: the decision now says why.
                    return (Unavailable((await access.DecideAsync(id, User, HttpContext.RequestAborted)).Decision), null);
                }

                return (null, opened);
            case AccessDecision.NeedsSignIn:
                return (Redirect(ReadingEndpoints.SignInUrl(Request.Path + Request.QueryString)), null);
            case AccessDecision.NeedsOtherSignIn or AccessDecision.NotARecipient or AccessDecision.Expired or AccessDecision.Revoked:
                return (Unavailable(decision), null);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>The recipient session this request came with (the recipient policy guarantees one).</summary>
    private Guid SessionId() => Guid.Parse(User.FindFirst(RecipientAuthenticationHandler.SessionClaim)!.Value);

    private PageResult Unavailable(AccessDecision decision)
    {
        Refusal = Reading.Unavailable.For(decision, MessageId);
        return Show(ComposeState.Unavailable, Refusal.StatusCode);
    }

    private PageResult Show(ComposeState state, int status)
    {
        State = state;
        Response.StatusCode = status;
        return Page();
    }

    /// <summary>Reply and reply-all: the recipients come from the original only.</summary>
    private PageResult? PlanOrRefuse(OpenedMessage opened)
    {
        var original = OriginalMessage.FromRenderModel(opened.Model, opened.Record.SenderAddress);
        switch (ReplyBuilder.Plan(original, Mode, opened.Access.Address))
        {
            case ReplyPlanResult.Planned planned:
                Plan = planned.Plan;
                Subject = Plan.Subject;
                return null;
            case ReplyPlanResult.Invalid:
                return Show(ComposeState.NoRecipients, HttpMethods.IsGet(Request.Method) ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    private void PlanForward(OpenedMessage opened, string? forwardTo)
    {
        var original = OriginalMessage.FromRenderModel(opened.Model, opened.Record.SenderAddress);
        var max = options.Value.MaxForwardRecipients;
        switch (ReplyBuilder.Plan(original, ReplyMode.Forward, opened.Access.Address, forwardTo, max))
        {
            case ReplyPlanResult.Planned planned:
                Plan = planned.Plan;
                break;
            case ReplyPlanResult.Invalid { Error: ReplyPlanError.InvalidAddress } invalid:
                Errors.Add(new FieldError(ReplyFormReader.ToField, text["ErrorInvalidAddress", invalid.Value ?? string.Empty]));
                break;
            case ReplyPlanResult.Invalid { Error: ReplyPlanError.TooManyRecipients }:
                Errors.Add(new FieldError(ReplyFormReader.ToField, text["ErrorTooManyRecipients", max]));
                break;
            case ReplyPlanResult.Invalid:
                Errors.Add(new FieldError(ReplyFormReader.ToField, text["ErrorToRequired"]));
                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }
    }

    /// <summary>Adds the errors of the form itself; returns the status to answer with if there are any.</summary>
    private int CheckForm(ReplyForm form)
    {
        switch (form.Problem)
        {
            case ReplyFormProblem.TooLarge:
                Errors.Add(new FieldError(ReplyFormReader.AttachmentsField, text["ErrorTooLarge", FormatSize(Limits.MaxUploadBytes)]));
                return StatusCodes.Status413PayloadTooLarge;
            case ReplyFormProblem.TooManyFiles:
                Errors.Add(new FieldError(ReplyFormReader.AttachmentsField, text["ErrorTooManyFiles", Limits.MaxFiles]));
                return StatusCodes.Status400BadRequest;
            case ReplyFormProblem.BodyTooLong:
                Errors.Add(new FieldError(ReplyFormReader.BodyField, text["ErrorBodyTooLong", Limits.MaxBodyChars]));
                return StatusCodes.Status400BadRequest;
            case ReplyFormProblem.AddressesTooLong:
                Errors.Add(new FieldError(ReplyFormReader.ToField, text["ErrorTooManyRecipients", options.Value.MaxForwardRecipients]));
                return StatusCodes.Status400BadRequest;
            case ReplyFormProblem.None:
                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }

        if (Mode != ReplyMode.Forward && string.IsNullOrWhiteSpace(form.Body) && form.Uploads.Count == 0)
        {
            Errors.Add(new FieldError(ReplyFormReader.BodyField, text["ErrorBodyRequired"]));
        }

        return StatusCodes.Status400BadRequest;
    }

    private static string ForwardSubject(OpenedMessage opened)
    {
        var core = HeaderText.WithoutPrefixes(opened.Model.Subject);
        return core.Length == 0 ? "Fwd:" : $"Fwd: {core}";
    }

    private ReplyTexts Texts() => new(
        text["Wrote"], text["WroteNoDate"], text["ForwardedMessage"], text["FromLabel"], text["DateLabel"],
        text["SubjectLabel"], text["ToLabel"], text["CcLabel"], CultureInfo.CurrentUICulture);

    public static string ModeName(ReplyMode mode) => mode switch
    {
        ReplyMode.Reply => "reply",
        ReplyMode.ReplyAll => "replyall",
        ReplyMode.Forward => "forward",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    private static bool TryParseMode(string? value, out ReplyMode mode)
    {
        switch (value?.ToLowerInvariant())
        {
            case null or "" or "reply":
                mode = ReplyMode.Reply;
                return true;
            case "replyall":
                mode = ReplyMode.ReplyAll;
                return true;
            case "forward":
                mode = ReplyMode.Forward;
                return true;
            default:
                mode = default;
                return false;
        }
    }
}

/// <summary>
/// Removes the form value providers for a page whose POST body is read as a stream: without it,
/// binding anything would make MVC read (and buffer) the whole multipart form first.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NoFormBindingAttribute : Attribute, IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        context.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
        context.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}
