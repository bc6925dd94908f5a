package alerts

import (
	"context"
	"strconv"
	"time"

	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// JobFailedKey, DeliveryOverdueKey and QuarantineShareKey name incidents.
func JobFailedKey(job string) string          { return KindJobFailed + ":" + job }
func DeliveryOverdueKey(source string) string { return KindDeliveryOverdue + ":" + source }
func QuarantineShareKey(source string) string { return KindQuarantineShare + ":" + source }

// JobFinished follows a job run that ended. A final attempt that failed, was
// cancelled or was interrupted opens "job_failed:<job>"; a run that ended ok
// closes it. An attempt followed by a retry changes nothing. The run's
// message is not sent: it may quote what it read.
func (a *Alerter) JobFinished(ctx context.Context, run warehouse.JobRun, final bool) error {
	key := JobFailedKey(run.Job)
	switch run.Status {
	case warehouse.RunOK:
		inc, open := a.isOpen(key)
		if !open {
			return nil
		}
		end := a.orNow(run.FinishedAt)
		return a.Resolve(ctx, key, Alert{
			Kind: KindJobFailed, Subject: run.Job, At: end,
			Summary: Text{
				FR: "La tâche " + quoteFR(run.Job) + " fonctionne à nouveau",
				NL: "De taak " + quoteNL(run.Job) + " werkt weer",
			},
			Detail: Text{
				FR: "La tâche " + quoteFR(run.Job) + " s'est terminée avec succès le " + a.dateTimeFR(end) +
					". L'incident était ouvert depuis le " + a.dateTimeFR(inc.Alert.Since) + ".",
				NL: "De taak " + quoteNL(run.Job) + " is op " + a.dateTimeNL(end) + " met succes beëindigd. " +
					"Het incident was open sinds " + a.dateTimeNL(inc.Alert.Since) + ".",
			},
			Labels: map[string]string{"job": run.Job, "status": run.Status, "run_id": run.RunID},
		})
	case warehouse.RunFailed, warehouse.RunCancelled, warehouse.RunInterrupted:
		if !final {
			return nil
		}
	default:
		return nil
	}
	var whatFR, whatNL, whyFR, whyNL string
	switch run.Status {
	case warehouse.RunFailed:
		whatFR, whatNL = "a échoué", "is mislukt"
	case warehouse.RunCancelled:
		whatFR, whatNL = "a été annulée", "werd geannuleerd"
		whyFR, whyNL = " (délai dépassé ou arrêt du service)", " (tijdslimiet overschreden of dienst gestopt)"
	default:
		whatFR, whatNL = "a été interrompue", "werd onderbroken"
		whyFR, whyNL = " (le service s'est arrêté pendant son exécution)", " (de dienst stopte tijdens de uitvoering)"
	}
	attempt := max(run.Attempt, 1)
	ordFR := strconv.Itoa(attempt) + "e"
	if attempt == 1 {
		ordFR = "1re"
	}
	endFR, endNL := "fin\u00a0: ", "einde: "
	end := run.FinishedAt
	if end.IsZero() {
		endFR, endNL = "dernier signe de vie\u00a0: ", "laatste teken van leven: "
		end = run.HeartbeatAt
	}
	end = a.orNow(end)
	return a.Fire(ctx, key, Alert{
		Kind: KindJobFailed, Subject: run.Job, Since: end,
		Summary: Text{
			FR: "La tâche " + quoteFR(run.Job) + " " + whatFR,
			NL: "De taak " + quoteNL(run.Job) + " " + whatNL,
		},
		Detail: Text{
			FR: "La tâche " + quoteFR(run.Job) + " " + whatFR + " lors de sa " + ordFR + " tentative" + whyFR + ", sans nouvelle tentative prévue. " +
				"Début\u00a0: " + a.dateTimeFR(run.StartedAt) + "\u00a0; " + endFR + a.dateTimeFR(end) + ". " +
				"Le détail de l'erreur figure dans l'historique des exécutions et dans le journal du service.",
			NL: "De taak " + quoteNL(run.Job) + " " + whatNL + " bij de " + strconv.Itoa(attempt) + "e poging" + whyNL + "; er volgt geen nieuwe poging. " +
				"Begin: " + a.dateTimeNL(run.StartedAt) + "; " + endNL + a.dateTimeNL(end) + ". " +
				"De details van de fout staan in de uitvoeringsgeschiedenis en in het logboek van de dienst.",
		},
		Labels: map[string]string{"job": run.Job, "status": run.Status, "run_id": run.RunID, "attempt": strconv.Itoa(attempt)},
	})
}

// DeliveryOverdue follows the state of a source's delivery, as Overdue
// tells it: overdue opens "delivery_overdue:<source>", not overdue closes it.
// expected is the due date of the delivery awaited (zero when the source
// has no due date).
func (a *Alerter) DeliveryOverdue(ctx context.Context, source string, expected time.Time, overdue bool) error {
	key := DeliveryOverdueKey(source)
	labels := map[string]string{"source": source}
	var month time.Time
	if !expected.IsZero() {
		month = DataMonth(expected)
		labels["month"] = month.Format("2006-01")
		labels["due"] = expected.Format(time.DateOnly)
	}
	if !overdue {
		if _, open := a.isOpen(key); !open {
			return nil
		}
		detail := Text{FR: "La source " + quoteFR(source) + " n'a plus de date de livraison.", NL: "De bron " + quoteNL(source) + " heeft geen leveringsdatum meer."}
		if !expected.IsZero() {
			detail = Text{
				FR: "Prochaine livraison attendue\u00a0: les données de " + fr.Month(month) + ", au plus tard le " + dateFR(expected) + ".",
				NL: "Volgende verwachte levering: de gegevens van " + nl.Month(month) + ", uiterlijk op " + dateNL(expected) + ".",
			}
		}
		return a.Resolve(ctx, key, Alert{
			Kind: KindDeliveryOverdue, Subject: source,
			Summary: Text{
				FR: "Plus de livraison en retard pour la source " + quoteFR(source),
				NL: "Geen achterstallige levering meer voor de bron " + quoteNL(source),
			},
			Detail: detail, Labels: labels,
		})
	}
	var since time.Time
	detail := Text{
		FR: "Une livraison de la source " + quoteFR(source) + " est attendue et n'est pas arrivée.",
		NL: "Een levering van de bron " + quoteNL(source) + " wordt verwacht en is niet binnengekomen.",
	}
	if !expected.IsZero() {
		since = expected.AddDate(0, 0, 1)
		detail = Text{
			FR: "Les données de " + fr.Month(month) + " de la source " + quoteFR(source) +
				" étaient attendues au plus tard le " + dateFR(expected) + "\u00a0; aucune livraison couvrant ce mois n'est encore arrivée.",
			NL: "De gegevens van " + nl.Month(month) + " van de bron " + quoteNL(source) +
				" werden uiterlijk op " + dateNL(expected) + " verwacht; er is nog geen levering voor die maand binnengekomen.",
		}
	}
	return a.Fire(ctx, key, Alert{
		Kind: KindDeliveryOverdue, Subject: source, Since: since,
		Summary: Text{
			FR: "La livraison de la source " + quoteFR(source) + " est en retard",
			NL: "De levering van de bron " + quoteNL(source) + " is te laat",
		},
		Detail: detail, Labels: labels,
	})
}

// LoadRecorded follows a delivery: a quarantined share of its rows above
// maxShare opens "quarantine_share:<source>"; a later delivery of the source
// loaded under it closes it. A retraction changes nothing.
func (a *Alerter) LoadRecorded(ctx context.Context, l warehouse.Load, maxShare float64) error {
	if l.Status == warehouse.StatusRetracted {
		return nil
	}
	key := QuarantineShareKey(l.Source)
	share := 0.0
	if l.RowsRead > 0 {
		share = float64(l.RowsQuarantined) / float64(l.RowsRead)
	}
	above := share > maxShare
	if !above && l.Status != warehouse.StatusLoaded {
		return nil
	}
	if !above {
		if _, open := a.isOpen(key); !open {
			return nil
		}
	}
	// "Livraison « f », déposée le … : 120 lignes sur 1 000 mises en
	// quarantaine (12,0 %)"
	deliveredFR, deliveredNL := "", ""
	if d := firstSet(l.DeliveredAt, l.LoadedAt); !d.IsZero() {
		deliveredFR, deliveredNL = ", déposée le "+a.dateTimeFR(d), ", aangeleverd op "+a.dateTimeNL(d)
	}
	rowsFR := "lignes"
	putFR := "mises"
	if l.RowsQuarantined <= 1 {
		rowsFR, putFR = "ligne", "mise"
	}
	countsFR := "Livraison " + quoteFR(l.File) + deliveredFR + "\u00a0: " + countFR(l.RowsQuarantined) + " " + rowsFR + " sur " +
		countFR(l.RowsRead) + " " + putFR + " en quarantaine (" + percentFR(share) + ")"
	countsNL := "Levering " + quoteNL(l.File) + deliveredNL + ": " + countNL(l.RowsQuarantined) + " van de " +
		countNL(l.RowsRead) + " rijen in quarantaine (" + percentNL(share) + ")"
	labels := map[string]string{"source": l.Source, "file": l.File, "load_id": strconv.FormatUint(l.LoadID, 10), "status": l.Status}
	if !above {
		return a.Resolve(ctx, key, Alert{
			Kind: KindQuarantineShare, Subject: l.Source,
			Summary: Text{
				FR: "Part de lignes en quarantaine revenue sous le seuil pour la source " + quoteFR(l.Source),
				NL: "Aandeel rijen in quarantaine weer onder de drempel voor de bron " + quoteNL(l.Source),
			},
			Detail: Text{
				FR: countsFR + ", sous le seuil de " + percentFR(maxShare) + ".",
				NL: countsNL + ", onder de drempel van " + percentNL(maxShare) + ".",
			},
			Labels: labels,
		})
	}
	outcomeFR, outcomeNL := "Les autres lignes ont été chargées.", "De overige rijen werden geladen."
	if l.Status == warehouse.StatusRejected {
		outcomeFR, outcomeNL = "La livraison a été refusée en entier.", "De volledige levering werd geweigerd."
	}
	return a.Fire(ctx, key, Alert{
		Kind: KindQuarantineShare, Subject: l.Source, Since: firstSet(l.LoadedAt, l.RecordedAt),
		Summary: Text{
			FR: "Trop de lignes en quarantaine dans une livraison de la source " + quoteFR(l.Source),
			NL: "Te veel rijen in quarantaine in een levering van de bron " + quoteNL(l.Source),
		},
		Detail: Text{
			FR: countsFR + ", au-delà du seuil de " + percentFR(maxShare) + " fixé pour cette source. " + outcomeFR +
				" Les lignes en quarantaine et leurs motifs sont consultables par les opérateurs.",
			NL: countsNL + ", boven de drempel van " + percentNL(maxShare) + " voor deze bron. " + outcomeNL +
				" De rijen in quarantaine en de redenen zijn in te zien door de operatoren.",
		},
		Labels: labels,
	})
}

func (a *Alerter) orNow(t time.Time) time.Time {
	if t.IsZero() {
		return a.opts.Now()
	}
	return t
}

func firstSet(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func quoteFR(s string) string { return "«\u00a0" + s + "\u00a0»" }
func quoteNL(s string) string { return "„" + s + "”" }

// fr and nl write dates as given (in their own zone) and numbers.
var (
	fr = locale.New(locale.French, nil)
	nl = locale.New(locale.Dutch, nil)
)

func dateFR(t time.Time) string { return fr.Date(t) }
func dateNL(t time.Time) string { return nl.Date(t) }

// dateTimeFR returns "12 mars 2024 à 14:05" in the Alerter's zone.
func (a *Alerter) dateTimeFR(t time.Time) string { return locale.New(locale.French, a.loc).DateTime(t) }

// dateTimeNL returns "12 maart 2024 om 14:05" in the Alerter's zone.
func (a *Alerter) dateTimeNL(t time.Time) string { return locale.New(locale.Dutch, a.loc).DateTime(t) }

func countFR(n uint64) string { return fr.Int(int64(n)) }
func countNL(n uint64) string { return nl.Int(int64(n)) }

func percentFR(share float64) string { return fr.Percent(100*share, 1) }
func percentNL(share float64) string { return nl.Percent(100*share, 1) }
