/** Rules on text addressed to the model: hidden instructions, manipulation, and HTML comments that hide text. */

import { firstMatch, type Report } from "./findings";
import { each } from "./text";

// Hidden instructions.

const HIDDEN_INSTRUCTIONS: readonly [RegExp, string][] = [
  [/\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|every\s+)?(?:of\s+)?(?:the\s+|your\s+|these\s+|those\s+)?(?:previous|prior|above|earlier|preceding|former|original|system|existing|other)\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context|messages|commands)\b/gi, "Tells the model to drop its instructions."],
  [/\bdisregard\s+(?:all|any|everything|anything|the\s+(?:above|user)|your|what)\b/gi, "Tells the model to disregard its instructions."],
  [/<\s*\/?\s*(?:important|system|instructions?|secret|hidden|admin|critical|override|system[\s_-]?(?:prompt|message|instructions?)|(?:assistant|ai|llm|model)[\s_-]?(?:instructions?|note)|note[\s_-]?(?:to|for)[\s_-]?(?:the[\s_-]?)?(?:ai|assistant|model|llm))\b[^<>\n]{0,40}>/gi, "Instruction tag aimed at the model (<IMPORTANT>-style)."],
  [/<\|(?:im_start|im_end|system|endoftext|eot_id|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>/gi, "Chat-template control token: tries to forge a system or user turn."],
  [/\b(?:do\s+not|don'?t|never|must\s+not|should\s+not)\s+(?:tell|mention|inform|reveal|show|disclose|notify|alert|let\s+on\s+to|explain\s+(?:this\s+)?to)\s+(?:this\s+|it\s+|that\s+|anything\s+)?(?:to\s+)?(?:the\s+|your\s+)user\b/gi, "Tells the model to hide something from the user."],
  [/\b(?:do\s+not|don'?t|never)\s+(?:mention|reveal|disclose)\s+(?:this|that|it|the\s+fact|anything)\b/gi, "Tells the model to keep something quiet."],
  [/\bwithout\s+(?:telling|informing|notifying|alerting|letting|warning)\s+(?:the\s+|your\s+)?user\b/gi, "Tells the model to act without the user knowing."],
  [/\b(?:the\s+)?user\s+(?:must|should|shall|need|needs|does|do)\s*(?:not|n'?t)\s+(?:know|see|notice|find\s+out|learn|be\s+(?:told|informed|aware|notified|shown))\b/gi, "Tells the model to keep the user unaware."],
  [/\bbefore\s+(?:you\s+)?(?:use|using|call|calling|invoke|invoking|execute|executing|run|running|answer|answering|respond|responding)\b[^\n]{0,40}?[,:]?\s*(?:read|you\s+must|send|include|pass)\b/gi, "Line jumping: a precondition the model must carry out before acting."],
  [/\bnew\s+(?:system\s+)?(?:instructions?|rules|directives|task)\s*:/gi, "Announces replacement instructions."],
  [/\bsystem\s+(?:prompt|override|message|instructions?)\s*:/gi, "Poses as a system prompt."],
  [/\b(?:reveal|print|output|repeat|show|leak)\s+(?:your|the)\s+(?:system\s+prompt|hidden\s+prompt|initial\s+instructions|instructions\s+above)\b/gi, "Asks the model to leak its instructions."],
];

export function scanInstructions(text: string, report: Report): void {
  firstMatch(HIDDEN_INSTRUCTIONS, text, report, "hidden-instructions", "high");
}

// Manipulation of the model (literature: tool poisoning, preference manipulation).

const MODEL_DIRECTIVE: readonly [RegExp, string][] = [
  [/\b(?:the\s+)?(?:assistant|ai|model|llm|agent|claude|chatgpt|gpt|copilot)\s+(?:must|should|shall|needs?\s+to|has\s+to|is\s+required\s+to|will\s+always|must\s+always)\b/gi, "Addresses the model directly."],
  [/\bas\s+an?\s+(?:ai|assistant|language\s+model|llm|ai\s+model)\b/gi, "Addresses the model directly."],
  [/\byou\s+are\s+now\b|\byou\s+are\s+in\s+(?:developer|debug|admin|god|dan|unrestricted|jailbreak|maintenance)\s+mode\b/gi, "Tries to change the model's role or mode."],
  [/\b(?:from\s+now\s+on|henceforth|for\s+the\s+rest\s+of\s+(?:this|the)\s+(?:conversation|session|chat))\b/gi, "Tries to change the model's behavior beyond this tool."],
  [/\byour\s+(?:new\s+|real\s+|actual\s+)?(?:instructions|task|goal|objective|purpose)\s+(?:is|are)\b/gi, "Tries to give the model a new task."],
  [/\byou\s+must\s+(?:always|never|first)\b/gi, "Imperative aimed at the model."],
  [/(?:^|\n)[ \t]*(?:system|assistant)[ \t]*:/gi, "Forges a conversation role marker."],
];
const COERCION: readonly [RegExp, string][] = [
  [/\botherwise\s+(?:the\s+)?(?:tool|function|system|request|it|this)\s+(?:will|would|might|may|can)\s*(?:not\s+work|fail|crash|break|not\s+function)/gi, "Threatens failure to force compliance."],
  [/\b(?:this\s+is\s+)?(?:very|extremely|critically|vitally)\s+important\b/gi, "Urgency aimed at the model."],
  [/\b(?:could|would|will|might|may)\s+(?:even\s+)?(?:upset|scare|alarm|worry|confuse)\s+the\s+user\b/gi, "Uses the user's feelings to justify secrecy."],
  [/\b(?:it\s+is|this\s+is|it's)\s+(?:just\s+|only\s+|merely\s+)?an?\s+implementation\s+detail\b/gi, "Plays down an instruction as an implementation detail."],
  [/\bfailure\s+to\s+(?:comply|follow|do\s+so)\b/gi, "Threatens consequences to force compliance."],
];
const TOOL_PREFERENCE: readonly [RegExp, string][] = [
  [/\b(?:always|only)\s+(?:use|prefer|call|choose|select|pick)\s+this\s+(?:tool|function|server)\b/gi, "Pushes the model to always pick this tool."],
  [/\b(?:do\s+not|don'?t|never)\s+(?:use|call|invoke|trust)\s+(?:any\s+)?(?:other|another|the\s+other)\s+(?:tools?|functions?|servers?)\b/gi, "Tells the model to avoid other tools."],
  [/\bthis\s+is\s+the\s+(?:best|only|preferred|most\s+reliable|official|recommended)\s+(?:tool|function|way)\b/gi, "Claims to be the best tool."],
  [/\b(?:prefer|use)\s+this\s+(?:tool|function)\s+(?:over|instead\s+of)\b/gi, "Pushes the model to pick this tool over others."],
];
const GENERIC_REDIRECT = /\b(?:change|replace|set|override|rewrite|modify|swap)\s+(?:the\s+)?(?:recipient|destination|receiver|to\s+address|email\s+address|phone\s+number|account\s+number|iban|wallet\s+address)\b/gi;

export function scanManipulation(text: string, report: Report): void {
  firstMatch(MODEL_DIRECTIVE, text, report, "model-directive", "medium");
  firstMatch(COERCION, text, report, "coercion", "medium");
  firstMatch(TOOL_PREFERENCE, text, report, "tool-preference", "medium");
  each(GENERIC_REDIRECT, text, (m) => report("tool-shadowing", "medium", m.index, m.index + m[0].length, "Tells the model to change where something goes."));
}

export function scanHtmlComments(text: string, report: Report): void {
  // indexOf rather than a lazy regex: an unclosed "<!--" repeated 10,000 times stays linear.
  for (let open = text.indexOf("<!--"); open !== -1; ) {
    const close = text.indexOf("-->", open + 4);
    const end = close === -1 ? text.length : close + 3;
    report("html-comment", "medium", open, end, "HTML comment: hidden when the description is rendered, still read by the model.");
    if (close === -1) return;
    open = text.indexOf("<!--", end);
  }
}
