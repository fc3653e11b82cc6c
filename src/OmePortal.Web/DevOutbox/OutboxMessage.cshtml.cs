using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MimeKit;

namespace OmePortal.Web.DevOutbox;

/// <summary>One outbox mail: headers, the HTML part in a sandboxed frame, the text part, attachments. Development only.</summary>
public sealed class OutboxMessageModel(DevOutboxReader reader, IWebHostEnvironment environment) : PageModel
{
    public string Name { get; private set; } = string.Empty;

    public MimeMessage? Message { get; private set; }

    public IActionResult OnGet(string name)
    {
        if (!environment.IsDevelopment())
        {
            return NotFound();
        }

        Name = name;
        Message = reader.Load(name);
        return Message is null ? NotFound() : Page();
    }
}
