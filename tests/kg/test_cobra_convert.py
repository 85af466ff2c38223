"""KnowledgeGraph ↔ cobra.Model: the SBML adapter and cobrapy agree on every model both read, and nothing is lost."""

import logging
from pathlib import Path

import pytest

cobra = pytest.importorskip("cobra")

from cobra.io import load_model, read_sbml_model, write_sbml_model  # noqa: E402

from kg.convert.cobra import from_cobra, to_cobra  # noqa: E402
from kg.datasets import data_path  # noqa: E402
from kg.sources import sbml  # noqa: E402

logging.getLogger("cobra").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def textbook_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("cobra") / "textbook.xml"
    write_sbml_model(load_model("textbook"), str(path))
    return path


def _assert_same_model(ref, got):
    assert {r.id for r in ref.reactions} == {r.id for r in got.reactions}
    assert {m.id for m in ref.metabolites} == {m.id for m in got.metabolites}
    assert {g.id for g in ref.genes} == {g.id for g in got.genes}
    for r in ref.reactions:
        q = got.reactions.get_by_id(r.id)
        assert r.bounds == q.bounds, r.id
        assert {m.id: v for m, v in r.metabolites.items()} == {m.id: v for m, v in q.metabolites.items()}, r.id
        assert r.gene_reaction_rule == q.gene_reaction_rule, r.id
        assert r.objective_coefficient == q.objective_coefficient, r.id
    assert ref.objective_direction == got.objective_direction


def test_textbook_adapter_agrees_with_cobrapy(textbook_file):
    ref = read_sbml_model(str(textbook_file))
    graph = sbml.load(textbook_file)
    model = to_cobra(graph)
    assert (len(model.reactions), len(model.metabolites), len(model.genes)) == (95, 72, 137)
    _assert_same_model(ref, model)
    assert graph.nodes("reaction").set_index("id").loc["R_Biomass_Ecoli_core", "objective_coefficient"] == 1.0
    assert model.slim_optimize() == pytest.approx(ref.slim_optimize(), abs=1e-9)
    assert model.slim_optimize() == pytest.approx(0.8739215, abs=1e-6)


def test_mitocore_level2_agrees_with_cobrapy():
    path = data_path("metabolic/mitocore_v1.01.xml.gz")
    ref = read_sbml_model(str(path))
    graph = sbml.load(path)
    assert int(graph.nodes("metabolite")["boundary"].sum()) == 70
    model = to_cobra(graph)
    # 485 reactions + one exchange per boundary species, as cobrapy adds them
    assert len(model.reactions) == 555 and len(model.metabolites) == 441 and len(model.genes) == 391
    _assert_same_model(ref, model)
    assert (graph.nodes("reaction")["objective_coefficient"] == 0).all()  # MitoCore declares no objective


FIXTURES = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize("which", ["textbook", "mitocore", "cobra_l2_notes_mini.xml", "l3_fbc1_mini.xml",
                                   "ecoli_core_mini_l3fbc.xml"])
def test_graph_cobra_graph_round_trip_is_lossless(which, textbook_file):
    path = {"textbook": textbook_file, "mitocore": data_path("metabolic/mitocore_v1.01.xml.gz")}.get(
        which, FIXTURES / which)
    graph = sbml.load(path)
    back = from_cobra(to_cobra(graph, cobra_ids=False), database="sbml")
    assert back.equals(graph)


def test_level2_notes_fixture_agrees_with_cobrapy():
    # bounds unset in the file take cobrapy's defaults in both readers; gene rules come from the notes
    path = FIXTURES / "cobra_l2_notes_mini.xml"
    _assert_same_model(read_sbml_model(str(path)), to_cobra(sbml.load(path)))


def test_cobra_graph_cobra_round_trip():
    ref = load_model("textbook")
    model = to_cobra(from_cobra(ref), cobra_ids=False)
    _assert_same_model(ref, model)
    assert model.slim_optimize() == pytest.approx(ref.slim_optimize(), abs=1e-9)


def test_species_on_both_sides_nets_like_cobrapy(tmp_path):
    fbc = "http://www.sbml.org/sbml/level3/version1/fbc/version2"
    doc = f"""<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" xmlns:fbc="{fbc}" level="3" version="1"
      fbc:required="false"><model id="m" fbc:strict="true">
      <listOfCompartments><compartment id="c" constant="true"/></listOfCompartments>
      <listOfSpecies>
        <species id="M_a" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
        <species id="M_h" compartment="c" hasOnlySubstanceUnits="false" boundaryCondition="false" constant="false"/>
      </listOfSpecies>
      <listOfParameters><parameter id="lb" value="-5" constant="true"/><parameter id="ub" value="7"
        constant="true"/></listOfParameters>
      <listOfReactions><reaction id="R_x" reversible="true" fast="false" fbc:lowerFluxBound="lb"
        fbc:upperFluxBound="ub">
        <listOfReactants><speciesReference species="M_a" stoichiometry="1" constant="true"/>
          <speciesReference species="M_h" stoichiometry="2" constant="true"/></listOfReactants>
        <listOfProducts><speciesReference species="M_h" stoichiometry="3" constant="true"/></listOfProducts>
      </reaction></listOfReactions>
      <fbc:listOfObjectives fbc:activeObjective="o"><fbc:objective fbc:id="o" fbc:type="minimize">
        <fbc:listOfFluxObjectives><fbc:fluxObjective fbc:reaction="R_x" fbc:coefficient="2"/>
        </fbc:listOfFluxObjectives></fbc:objective></fbc:listOfObjectives>
    </model></sbml>"""
    path = tmp_path / "net.xml"
    path.write_text(doc)
    graph = sbml.load(path)
    edges = graph.edges(("metabolite", "participates_in", "reaction")).set_index("source")
    assert edges.loc["M_h", "role"] == "product" and edges.loc["M_h", "stoichiometry"] == 1.0
    model = to_cobra(graph)
    ref = read_sbml_model(str(path))
    _assert_same_model(ref, model)
    assert model.reactions.x.bounds == (-5.0, 7.0) and model.objective_direction == "min"


def test_gene_order_follows_the_graph_not_hashing():
    # cobrapy collects a rule's genes through sets; to_cobra fixes model.genes to the graph's order (reproducible
    # across PYTHONHASHSEED values)
    graph = sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"))
    assert [g.id for g in to_cobra(graph).genes] == list(graph.node_ids("gene"))
