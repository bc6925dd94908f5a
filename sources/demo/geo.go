package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/brusano/bassins/pipeline/geography"
)

// geo is the reference geography seen by postcode: the 22 postcodes of the
// region, the population behind each and the communes a postcode may belong to.
type geo struct {
	postcodes  []string          // sorted
	population map[string]int    // by postcode
	communes   map[string]choice // postcode → NIS of the services there
}

func loadGeo() (*geo, error) {
	g, err := geography.Load(geography.Files{})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	mainPostcode := map[string]string{}
	for _, c := range g.Communes {
		mainPostcode[c.NIS] = c.MainPostcode
	}
	out := &geo{population: map[string]int{}, communes: map[string]choice{}}
	for pc := range g.Postcodes {
		out.postcodes = append(out.postcodes, pc)
	}
	sort.Strings(out.postcodes)
	if len(out.postcodes) == 0 {
		return nil, fmt.Errorf("demo: the reference geography has no postcodes")
	}
	nisOptions := map[string][]option{}
	for _, a := range g.Areas { // Areas is a slice in file order: deterministic
		pc := a.Postcode
		if pc == "" {
			pc = mainPostcode[a.NIS]
		}
		if _, ok := g.Postcodes[pc]; !ok {
			continue
		}
		out.population[pc] += a.Population
		w := float64(a.Population)
		if a.NIS == geography.SplitNIS {
			// Where Bruxelles-Ville shares a postcode (Avenue Louise, the
			// European quarter), offices are denser than residents.
			w *= 2.5
		}
		nisOptions[pc] = append(nisOptions[pc], option{a.NIS, w})
	}
	for _, pc := range out.postcodes {
		opts := nisOptions[pc]
		if len(opts) == 0 || out.population[pc] <= 0 {
			// A postcode no area names still exists: give it its default
			// commune and a small population so it can be drawn at all.
			opts = []option{{g.Postcodes[pc], 1}}
			out.population[pc] = 5000
		}
		out.communes[pc] = newChoice(opts)
	}
	return out, nil
}

// weighted returns a draw of postcodes weighted by population times a factor
// per postcode (1 when the table has none).
func (g *geo) weighted(factors ...map[string]float64) choice {
	opts := make([]option, 0, len(g.postcodes))
	for _, pc := range g.postcodes {
		w := float64(g.population[pc])
		for _, f := range factors {
			if x, ok := f[pc]; ok {
				w *= x
			}
		}
		opts = append(opts, option{pc, w})
	}
	return newChoice(opts)
}

// serviceNIS returns the commune of a service at a postcode: the postcode's
// commune, or for a postcode shared with Bruxelles-Ville (1040, 1050) one of
// the two, weighted by their population there.
func (g *geo) serviceNIS(r *rand.Rand, postcode string) string {
	return g.communes[postcode].pick(r)
}

// outreachNeed is how much more street and shelter work an area sees than its
// population alone says: the centre, the station districts and the poorer
// "croissant" around the canal get most of it.
var outreachNeed = map[string]float64{
	"1000": 3.2, "1210": 4.0, "1060": 2.5, "1030": 1.6, "1080": 1.7, "1070": 1.6,
	"1020": 1.0, "1040": 1.1, "1050": 0.9, "1190": 0.9, "1081": 0.9, "1090": 0.6,
	"1140": 0.6, "1120": 0.6, "1130": 0.5, "1082": 0.45, "1083": 0.45,
	"1180": 0.3, "1150": 0.25, "1160": 0.3, "1170": 0.3, "1200": 0.3,
}

// softened returns a factor table with each factor raised to a power below
// one: treatment demands and services follow need less steeply than street work.
func softened(f map[string]float64, power float64) map[string]float64 {
	out := make(map[string]float64, len(f))
	for k, v := range f {
		out[k] = math.Pow(v, power)
	}
	return out
}

// quartiers names a few neighbourhoods per postcode, used to name services.
// Keys with a NIS suffix are the parts of Bruxelles-Ville under a postcode it
// shares with another commune.
var quartiers = map[string][]string{
	"1000":       {"Marolles", "Sablon", "Béguinage", "Anneessens", "Sainte-Catherine", "Senne", "Quartier Nord"},
	"1020":       {"Laeken", "Bockstael", "Marie-Christine", "Mutsaard", "Heysel"},
	"1030":       {"Josaphat", "Helmet", "Brabant", "Colignon", "Meiser", "Plasky"},
	"1040":       {"Jourdan", "La Chasse", "Chevalier", "Saint-Antoine", "Casernes"},
	"1040/21004": {"Quartier européen", "Léopold", "Schuman"},
	"1050":       {"Flagey", "Matongé", "Boondael", "Châtelain", "Cimetière d'Ixelles", "Porte de Namur"},
	"1050/21004": {"Louise", "Bois de la Cambre"},
	"1060":       {"Parvis", "Porte de Hal", "Barrière", "Hôtel des Monnaies", "Bosnie", "Midi"},
	"1070":       {"Cureghem", "Clemenceau", "Peterbos", "Aumale", "Saint-Guidon", "Vétérinaires", "Bizet"},
	"1080":       {"Maritime", "Ribaucourt", "Étangs Noirs", "Karreveld", "Osseghem", "Duchesse"},
	"1081":       {"Basilique", "Simonis", "Koekelberg"},
	"1082":       {"Berchem", "Hunderenveld", "Cité Moderne"},
	"1083":       {"Ganshoren", "Sainte-Cécile", "Nestor Martin"},
	"1090":       {"Miroir", "Jette Centre", "Esseghem", "Dieleghem"},
	"1120":       {"Neder-Over-Heembeek", "Versailles", "Nos Pilifs"},
	"1130":       {"Haren", "Harenheyde"},
	"1140":       {"Evere", "Picardie", "Paduwa", "Hoedemaekers"},
	"1150":       {"Stockel", "Joli-Bois", "Chant d'Oiseau", "Montgomery"},
	"1160":       {"Pinoy", "Transvaal", "Chasse Royale", "Auderghem"},
	"1170":       {"Boitsfort", "Keym", "Cité Floréal", "Trois Tilleuls"},
	"1180":       {"Saint-Job", "Calevoet", "Globe", "Homborch", "Moensberg", "Bascule"},
	"1190":       {"Altitude Cent", "Wiels", "Saint-Denis", "Bempt"},
	"1200":       {"Gribaumont", "Georgin", "Kapelleveld", "Andromède"},
	"1210":       {"Madou", "Botanique", "Saint-Josse", "Deux Églises"},
}

// streets lists real streets per postcode for service addresses. Keys with a
// NIS suffix are the streets of Bruxelles-Ville under a postcode it shares.
var streets = map[string][]string{
	"1000":       {"Rue Haute", "Rue Blaes", "Boulevard Anspach", "Rue des Tanneurs", "Rue du Midi", "Rue de Laeken", "Rue de Flandre", "Boulevard d'Anvers"},
	"1020":       {"Rue Marie-Christine", "Boulevard Émile Bockstael", "Rue Léopold Ier", "Avenue Houba de Strooper", "Rue Stéphanie"},
	"1030":       {"Chaussée de Haecht", "Rue de Brabant", "Avenue Rogier", "Rue Josaphat", "Chaussée d'Helmet", "Rue Stephenson"},
	"1040":       {"Chaussée de Wavre", "Avenue d'Auderghem", "Rue des Champs", "Avenue de la Chasse", "Rue Général Leman"},
	"1040/21004": {"Rue de la Loi", "Rue Belliard", "Rue du Taciturne"},
	"1050":       {"Chaussée d'Ixelles", "Chaussée de Boondael", "Rue Malibran", "Rue de la Croix", "Avenue de la Couronne", "Rue du Trône"},
	"1050/21004": {"Avenue Louise", "Avenue Franklin Roosevelt"},
	"1060":       {"Chaussée de Waterloo", "Rue de la Victoire", "Chaussée de Forest", "Rue Théodore Verhaegen", "Avenue du Parc", "Rue de Mérode"},
	"1070":       {"Chaussée de Mons", "Rue Wayez", "Rue de Fiennes", "Boulevard de la Révision", "Avenue Clemenceau", "Rue Eloy"},
	"1080":       {"Chaussée de Gand", "Rue de Ribaucourt", "Boulevard Léopold II", "Rue Vandenpeereboom", "Rue du Comte de Flandre", "Rue Picard"},
	"1081":       {"Rue Herkoliers", "Avenue de la Liberté", "Chaussée de Jette"},
	"1082":       {"Rue de Grand-Bigard", "Avenue Charles-Quint", "Rue des Alcyons"},
	"1083":       {"Avenue de Villegas", "Avenue Van Overbeke", "Rue Nestor Martin"},
	"1090":       {"Rue Léon Theodor", "Boulevard de Smet de Naeyer", "Avenue de Jette", "Rue Esseghem"},
	"1120":       {"Rue de Beyseghem", "Rue François Vekemans", "Avenue des Croix de Guerre"},
	"1130":       {"Rue de Cortenbach", "Rue de Verdun"},
	"1140":       {"Chaussée de Louvain", "Rue de Paris", "Avenue Henri Conscience", "Square Hoedemaekers"},
	"1150":       {"Rue de l'Église", "Avenue de Tervueren", "Rue au Bois"},
	"1160":       {"Chaussée de Wavre", "Boulevard du Souverain", "Avenue de la Houlette"},
	"1170":       {"Rue des Trois Tilleuls", "Chaussée de La Hulpe", "Place Keym"},
	"1180":       {"Chaussée d'Alsemberg", "Rue Vanderkindere", "Chaussée de Saint-Job", "Avenue Brugmann"},
	"1190":       {"Chaussée de Neerstalle", "Avenue Van Volxem", "Rue du Curé", "Avenue Wielemans Ceuppens"},
	"1200":       {"Avenue Georges Henri", "Rue Saint-Lambert", "Avenue Paul Hymans", "Rue Voot"},
	"1210":       {"Chaussée de Louvain", "Rue de la Poste", "Rue Saint-Josse", "Rue des Deux Églises", "Avenue de l'Astronomie"},
}
