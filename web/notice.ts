import type { TaskView } from './api.ts';

/** Reasons as first-person sentences: the articles ask for clear reasons, said plainly. */
function reasonSentences(task: Pick<TaskView, 'reasons'>, lang: 'en' | 'es'): string[] {
  // Timing notes (a deadline that passed) are for finance, not reasons to give the client.
  return task.reasons
    .filter((reason) => !/deadline|contract/i.test(reason))
    .map((reason) => {
      const r = reason.toLowerCase();
      if (lang === 'es') {
        if (r.includes('late') || r.includes('overdue'))
          return 'Hemos visto que los pagos llegan tarde de forma repetida, y no podemos sostener el servicio así.';
        if (r.includes('margin') || r.includes('profit') || r.includes('cost'))
          return 'El coste de prestar el servicio supera lo que ingresamos por él, y no podemos mantenerlo en estas condiciones.';
        if (r.includes('dispute') || r.includes('refund')) return 'Las disputas y devoluciones han dañado la relación comercial.';
        return 'Creemos que ya no somos el proveedor adecuado para sus necesidades.';
      }
      if (r.includes('late') || r.includes('overdue')) return 'We have seen payments arrive late again and again, and we cannot sustain the service that way.';
      if (r.includes('margin') || r.includes('profit') || r.includes('cost'))
        return 'The cost of delivering the service has come to exceed what we receive for it, and we cannot keep it up on these terms.';
      if (r.includes('dispute') || r.includes('refund')) return 'The disputes and refunds have strained our working relationship.';
      return 'We believe we are no longer the right provider for your needs.';
    });
}

const dayText = (day: string | undefined, lang: 'en' | 'es') =>
  day
    ? new Date(`${day}T00:00:00Z`).toLocaleDateString(lang === 'es' ? 'es-ES' : 'en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' })
    : lang === 'es'
      ? '[fecha de fin]'
      : '[end date]';

/**
 * A draft non-renewal notice from the review's dates, following the articles: clear and direct,
 * reasons in the first person, respectful, deliverables finished, a transition offered.
 */
export function draftNotice(task: Pick<TaskView, 'name' | 'accountId' | 'targetEnd' | 'reasons'>, lang: 'en' | 'es'): string {
  const client = task.name ?? task.accountId;
  const end = dayText(task.targetEnd, lang);
  const reasons = [...new Set(reasonSentences(task, lang))].join(' ');
  if (lang === 'es') {
    return [
      `Asunto: Fin de nuestro contrato el ${end}`,
      '',
      `Estimado equipo de ${client}:`,
      '',
      `Les escribimos para comunicarles que no renovaremos nuestro contrato, que finalizará el ${end}, tal como establece el plazo de preaviso del contrato.`,
      '',
      reasons,
      '',
      'Hasta esa fecha seguiremos prestando el servicio con la misma calidad y terminaremos todos los trabajos pendientes. Les proponemos un plan de transición y, si lo desean, les recomendaremos otro proveedor que pueda ayudarles.',
      '',
      'Agradecemos sinceramente el tiempo que hemos trabajado juntos. Quedamos a su disposición para hablarlo en una reunión.',
      '',
      'Atentamente,',
      '[Su nombre]',
    ].join('\n');
  }
  return [
    `Subject: Our contract ends on ${end}`,
    '',
    `Dear ${client} team,`,
    '',
    `We are writing to let you know that we will not renew our contract, which ends on ${end}, as the contract's notice period provides.`,
    '',
    reasons,
    '',
    'Until that date we will keep delivering the service at the same quality and finish all the work still owed. We would like to agree a transition plan with you and, if it helps, recommend another provider.',
    '',
    'Thank you sincerely for the time we have worked together. We are glad to talk it through in a meeting.',
    '',
    'Kind regards,',
    '[Your name]',
  ].join('\n');
}
